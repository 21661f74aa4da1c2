"""Shared fixtures: a small AG-News-like dataset written by the tests, and a throwaway
copy of the project in its own git repo where `dvc repro` can run."""

from __future__ import annotations

import csv
import gzip
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_SHARED_NLTK = ROOT.parent / "shared" / "data" / "nltk_data"
if "NLTK_DATA" not in os.environ and _SHARED_NLTK.is_dir():
    os.environ["NLTK_DATA"] = str(_SHARED_NLTK)  # offline machines: the local stopwords copy

# Words that make each class learnable; shared words and AG News artifacts make it realistic.
CLASS_WORDS = {
    1: "minister election parliament troops embassy treaty rebels president capital ceasefire".split(),
    2: "coach season striker playoff tournament goalkeeper inning championship quarterback league".split(),
    3: "shares profit investors earnings merger quarterly revenue stocks dividend bankruptcy".split(),
    4: "software internet processor browser satellite genome wireless startup chip linux".split(),
}
SHARED_WORDS = "new report said week year people plans officials market world".split()
ARTIFACTS = ["#36;5 million", "quot;big quot;", "&lt;b&gt;update&lt;/b&gt;", "line\\break", "AT&amp;T"]


def fixture_rows(per_class: int, seed: int = 0) -> list[tuple[int, str, str]]:
    """(class 1..4, title, description) rows in the original ag_news_csv convention."""
    rng = random.Random(seed)
    rows = []
    for i in range(per_class):
        for klass, words in CLASS_WORDS.items():
            def sentence(n):
                return " ".join(rng.choice(words if rng.random() < 0.6 else SHARED_WORDS) for _ in range(n))
            title = sentence(rng.randint(3, 7)).title()
            description = sentence(rng.randint(8, 30)) + (" " + rng.choice(ARTIFACTS) if i % 3 == 0 else "")
            rows.append((klass, title, description))
    rng.shuffle(rows)
    return rows


def write_ag_news_csv(path: Path, rows, gz: bool = False) -> Path:
    """The original layout: no header, every field double-quoted."""
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return path


# Tiny dims so a whole `dvc repro` takes seconds.
TINY_PARAMS = {
    "vectorize": {"max_tokens": 200, "sequence_length": 24},
    "model": {"cell": "lstm", "embedding_dim": 8, "units": 8, "dropout": 0.1},  # tests switch to gru
    "train": {"epochs": 2, "batch_size": 32, "patience": 1},
    "baseline": {"max_features": 500},
}
PYTHON = sys.executable
PROJECT_FILES = ["dvc.yaml", "params.yaml", "stages", "newscat", ".dvcignore", ".gitignore"]


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command with the project's venv on PATH; fail with its output if it fails."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com")
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def set_params(project: Path, overrides: dict) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text())
    for group, values in overrides.items():
        params[group].update(values)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def new_project(base: Path, train_per_class: int = 40, test_per_class: int = 10) -> Path:
    """Fixture CSVs + a copy of the project in its own git repo (one commit), tiny params, reading them."""
    csv_dir = base / "ag_news_fixture"
    csv_dir.mkdir(parents=True)
    write_ag_news_csv(csv_dir / "train.csv.gz", fixture_rows(train_per_class, seed=1), gz=True)
    write_ag_news_csv(csv_dir / "test.csv", fixture_rows(test_per_class, seed=2))
    dest = base / "project"
    dest.mkdir()
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    set_params(dest, {**TINY_PARAMS, "data": {"source": "csv", "csv_dir": str(csv_dir)}})
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"], ["git", "add", "-A"],
                ["git", "commit", "-qm", "fixture project"]):
        run(cmd, dest)
    return dest


def file_bytes(root: Path, patterns: tuple[str, ...]) -> dict[str, bytes]:
    """{relative path: contents} of every file under root matching one of the glob patterns."""
    return {str(p.relative_to(root)): p.read_bytes()
            for pattern in patterns for p in sorted(root.glob(pattern)) if p.is_file()}


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project in a fresh git repo (one commit), reading its own fixture CSVs.
    Tests that run the pipeline once and check several things call new_project from a
    module-scoped fixture instead."""
    return new_project(tmp_path)
