"""The package and the stages use public APIs only: no private attribute of Keras, TensorFlow or
any other library (`obj._name` on anything but our own `self`/`cls`), no import from a private
module (`keras.src`, `tensorflow.python`, a leading underscore), and no fault-injection hook."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("newscat/**/*.py"), *ROOT.glob("stages/*.py")])


def private_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
        modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                   else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for module in modules:
            if module.startswith(("keras.src", "tensorflow.python")) or any(
                    part.startswith("_") and not part.startswith("__") for part in module.split(".")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: import {module}")
    return found


def test_sources_are_found():
    assert len(SOURCES) > 20 and ROOT / "newscat/train/resume.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_api(path):
    assert private_uses(path) == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_fault_hook(path):
    text = path.read_text()
    assert "NEWSCAT_FAULT" not in text and "fault_point" not in text and "os._exit" not in text
