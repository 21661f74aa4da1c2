"""dvc.yaml declares, for every stage, each newscat module its script imports (directly or
through another module), so editing shared code reruns exactly the stages that use it."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
ALWAYS_IMPORTED = {"newscat/__init__.py", "newscat/errors.py"}  # class names and error types: stable


def imported_modules(path: Path) -> set[str]:
    """newscat/*.py files imported by `path`, transitively."""
    found, todo = set(), [path]
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("newscat"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("newscat")]
            for name in names:
                file = ROOT / (name.replace(".", "/") + ".py")
                rel = str(file.relative_to(ROOT))
                if file.is_file() and rel not in found:
                    found.add(rel)
                    todo.append(file)
    return found - ALWAYS_IMPORTED


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_depends_on_every_module_its_script_imports(stage):
    script = STAGES[stage]["cmd"].split()[1]
    deps = set(STAGES[stage]["deps"])
    assert script in deps
    missing = imported_modules(ROOT / script) - deps
    assert not missing, f"dvc.yaml stage {stage} imports but does not depend on {sorted(missing)}"


STOPWORDS = "data/nltk_data/corpora/stopwords/english"


@pytest.mark.parametrize("stage", sorted(s for s in STAGES if "newscat/text.py" in imported_modules(
    ROOT / STAGES[s]["cmd"].split()[1])))
def test_stage_that_cleans_text_depends_on_the_stopword_list(stage):
    """The list decides the tokens: editing it must rerun every stage that cleans text."""
    assert STOPWORDS in STAGES[stage]["deps"]
    assert (ROOT / STOPWORDS).is_file()
