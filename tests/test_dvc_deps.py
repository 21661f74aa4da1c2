"""dvc.yaml's deps are exact both ways, at folder level: every stage depends on its script, on
each package folder whose modules it runs (imports followed transitively), on the data it
reads and on data/params.ok, and on nothing else. So a change reruns exactly the stages it can
affect, and no stage reruns for a folder it never runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from newscat.core import registry

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
MAX_CODE_PATHS = 4  # a stage's script and at most three package folders

MODELS_READ = [str(registry.keras_model_path(c)) for c in registry.RNN_CELLS]
# The data each stage's code reads (files, or a folder when it reads files in it), from reading
# the code: paths composed from newscat.core.registry.
DATA_READ = {
    "check_params": [],  # params.yaml: as params (the whole file), not as a file dep
    "download": [],  # its input folder is a param (data.csv_dir / data.manual_dir) or TFDS
    "clean": [registry.RAW_DIR],
    "vectorize": [registry.RAW_DIR, registry.CLEAN_DIR],  # every table, and download's report
    "wordclouds": [registry.RAW_DIR, registry.CLEAN_DIR],
    "train_lstm": [registry.VECTORIZED_DIR, registry.VOCAB_FILE],
    "train_gru": [registry.VECTORIZED_DIR, registry.VOCAB_FILE],
    "train_baseline": [registry.CLEAN_DIR],
    "evaluate": [registry.VECTORIZED_DIR, registry.CLEAN_DIR, registry.VOCAB_FILE, *MODELS_READ,
                 registry.BASELINE_FILE, *(registry.live_dir(c) / "plots" for c in registry.RNN_CELLS)],
    "export": [registry.VOCAB_FILE, *MODELS_READ],
}
# Data files that a module itself opens, whoever imports it.
MODULE_READS = {"newscat/data/text.py": [str(registry.NLTK_DATA / "corpora/stopwords/english")]}


def module_files(name: str) -> list[Path]:
    """Project files that `import name` executes: each package's __init__.py on the way and the
    module itself."""
    parts, files = name.split("."), []
    for i in range(1, len(parts) + 1):
        path = ROOT.joinpath(*parts[:i])
        if (path / "__init__.py").is_file():
            files.append(path / "__init__.py")
        elif path.with_suffix(".py").is_file():
            files.append(path.with_suffix(".py"))
    return files


def imports_of(path: Path) -> set[Path]:
    """Project files imported by `path` (any import statement, also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(module_files(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update(module_files(node.module))
            for alias in node.names:  # `from package import module`
                found.update(f for f in module_files(f"{node.module}.{alias.name}")
                             if f.stem == alias.name or f.parent.name == alias.name)
    return found


def stage_script(cmd: str) -> str:
    """`python -m stages.train lstm` -> stages/train.py"""
    words = cmd.split()
    assert words[:2] == ["python", "-m"], f"stage commands run a module of stages/: {cmd!r}"
    return words[2].replace(".", "/") + ".py"


def code_files(script: str) -> set[str]:
    """The script and every project file it imports, transitively, relative to ROOT."""
    seen, todo = set(), [ROOT / script]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(imports_of(path))
    return {str(p.relative_to(ROOT)) for p in seen}


def code_path(file: str) -> str | None:
    """The dvc.yaml dep that covers a code file: its package folder (newscat/<part>), or the
    script itself. newscat/__init__.py holds only a docstring (checked below): no dep."""
    parts = Path(file).parts
    if file == "newscat/__init__.py":
        return None
    return "/".join(parts[:2]) if parts[0] == "newscat" else file


def expected_deps(stage: str) -> set[str]:
    code = code_files(stage_script(STAGES[stage]["cmd"]))
    module_data = {path for module in code for path in MODULE_READS.get(module, [])}
    guard = set() if stage == "check_params" else {str(registry.PARAMS_CHECKED)}
    return ({code_path(f) for f in code} - {None}) | module_data | {str(p) for p in DATA_READ[stage]} | guard


def test_every_stage_is_described():
    assert set(DATA_READ) == set(STAGES)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_deps_are_exactly_its_code_and_data(stage):
    # Paths templated from params (e.g. ${data.csv_dir}) are checked with the params.
    declared = {d for d in STAGES[stage]["deps"] if "${" not in d}
    expected = expected_deps(stage)
    missing, extra = sorted(expected - declared), sorted(declared - expected)
    assert not missing and not extra, (f"dvc.yaml stage {stage}: missing deps {missing} (imported or read), "
                                       f"extra deps {extra} (neither imported nor read)")


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_lists_a_few_code_paths(stage):
    code = [d for d in STAGES[stage]["deps"] if d.startswith(("stages/", "newscat"))]
    assert 1 <= len(code) <= MAX_CODE_PATHS, code


def test_package_init_does_nothing():
    """newscat/__init__.py is no stage's dep: it may hold a docstring and nothing else."""
    tree = ast.parse((ROOT / "newscat/__init__.py").read_text())
    assert all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in tree.body)


def test_no_package_folder_imports_a_folder_that_uses_it():
    """core imports no other folder; no folder imports serve (the top of the graph)."""
    for path in (ROOT / "newscat").rglob("*.py"):
        part = path.relative_to(ROOT / "newscat").parts[0]
        used = {code_path(str(f.relative_to(ROOT))) for f in imports_of(path)} - {None}
        if part == "core":
            assert used <= {"newscat/core"}, (path, used)
        if part != "serve":
            assert "newscat/serve" not in used, (path, used)


@pytest.mark.parametrize("source, expected", [
    ("import newscat.core.io", {"newscat/__init__.py", "newscat/core/__init__.py", "newscat/core/io.py"}),
    ("from newscat.core import registry",
     {"newscat/__init__.py", "newscat/core/__init__.py", "newscat/core/registry.py"}),
    ("from newscat.core.registry import MODELS",
     {"newscat/__init__.py", "newscat/core/__init__.py", "newscat/core/registry.py"}),
    ("def f():\n    import newscat.train.fit", {"newscat/__init__.py", "newscat/train/__init__.py", "newscat/train/fit.py"}),
    ("import numpy, os.path", set()),
])
def test_import_forms_are_followed(tmp_path, source, expected):
    script = tmp_path / "script.py"
    script.write_text(source + "\n")
    assert {str(p.relative_to(ROOT)) for p in imports_of(script)} == expected
