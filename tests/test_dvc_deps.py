"""dvc.yaml's deps are exact both ways: every stage depends on its script, on every project
module the script imports (followed transitively, package __init__ files included) and on
the data files it reads, and on nothing else. So a change reruns exactly the stages it can
affect, and no stage reruns for a file it never reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]

# The data each stage's code reads (files, or a folder when it reads every file in it), from
# reading the code: paths written there or composed from constants (newscat.datasets,
# newscat.features.VOCAB_FILE, newscat.registry).
VECTORIZED_TRAIN_VAL = ["data/vectorized/x_train.npy", "data/vectorized/y_train.npy",
                        "data/vectorized/x_val.npy", "data/vectorized/y_val.npy"]
DATA_READ = {
    "check_params": [],  # params.yaml: as params (the whole file), not as a file dep
    "download": [],  # its input folder is a param (data.csv_dir / data.manual_dir) or TFDS
    "clean": ["data/raw/train.csv", "data/raw/test.csv"],
    # every file of data/clean (train, val, test tables and report.json); download's report
    "vectorize": ["data/clean", "data/raw/report.json"],
    "wordclouds": ["data/raw/train.csv", "data/raw/test.csv", "data/clean/train.csv", "data/clean/test.csv"],
    "train_lstm": VECTORIZED_TRAIN_VAL + ["models/vocab.txt"],
    "train_gru": VECTORIZED_TRAIN_VAL + ["models/vocab.txt"],
    "train_baseline": ["data/clean/train.csv"],
    "evaluate": ["data/vectorized/x_test.npy", "data/vectorized/y_test.npy", "data/clean/test.csv",
                 "models/vocab.txt", "models/lstm_attention_model.keras", "models/gru_attention_model.keras",
                 "models/baseline.joblib", "dvclive/train_lstm/plots", "dvclive/train_gru/plots",
                 "models/lstm_attention.vocab.sha256", "models/gru_attention.vocab.sha256"],
    "export": ["models/vocab.txt", "models/lstm_attention_model.keras", "models/gru_attention_model.keras",
               "models/lstm_attention.vocab.sha256", "models/gru_attention.vocab.sha256"],
}
# Imported, but no output can depend on it (none today).
NOT_A_DEP: set[str] = set()


def module_files(name: str, search: Path) -> list[Path]:
    """Project files that `import name` executes: each package's __init__.py on the way and
    the module itself; a top-level module found next to the importing script counts too."""
    parts, files = name.split("."), []
    for base in (ROOT, search):
        for i in range(1, len(parts) + 1):
            path = base.joinpath(*parts[:i])
            if (path / "__init__.py").is_file():
                files.append(path / "__init__.py")
            elif path.with_suffix(".py").is_file():
                files.append(path.with_suffix(".py"))
        if files:
            return files
    return []


def imports_of(path: Path) -> set[Path]:
    """Project files imported by `path` (any import statement, also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(module_files(alias.name, path.parent))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update(module_files(node.module, path.parent))
            for alias in node.names:  # `from package import module`
                found.update(f for f in module_files(f"{node.module}.{alias.name}", path.parent)
                             if f.stem == alias.name or f.parent.name == alias.name)
    return found


def stage_script(cmd: str) -> str:
    """`python -m stages.train lstm` -> stages/train.py"""
    words = cmd.split()
    assert words[:2] == ["python", "-m"], f"stage commands run a module of stages/: {cmd!r}"
    return words[2].replace(".", "/") + ".py"


def code_deps(script: str) -> set[str]:
    """The script and every project file it imports, transitively, relative to ROOT."""
    seen, todo = set(), [ROOT / script]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(imports_of(path))
    return {str(p.relative_to(ROOT)) for p in seen} - NOT_A_DEP


# Data files that a module itself opens, whoever imports it.
MODULE_READS = {"newscat/text.py": ["data/nltk_data/corpora/stopwords/english"]}


def expected_deps(stage: str) -> set[str]:
    code = code_deps(stage_script(STAGES[stage]["cmd"]))
    module_data = {path for module in code for path in MODULE_READS.get(module, [])}
    return code | module_data | set(DATA_READ[stage])


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


@pytest.mark.parametrize("source, expected", [
    ("import newscat.io", {"newscat/__init__.py", "newscat/io.py"}),
    ("from newscat import CLASS_NAMES", {"newscat/__init__.py"}),
    ("from newscat import registry", {"newscat/__init__.py", "newscat/registry.py"}),
    ("from newscat.registry import MODELS", {"newscat/__init__.py", "newscat/registry.py"}),
    ("def f():\n    import newscat.errors", {"newscat/__init__.py", "newscat/errors.py"}),
    ("import numpy, os.path", set()),
])
def test_import_forms_are_followed(tmp_path, source, expected):
    script = tmp_path / "script.py"
    script.write_text(source + "\n")
    assert {str(p.relative_to(ROOT)) for p in imports_of(script)} == expected
