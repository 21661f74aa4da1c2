"""Shared fixtures: a small AG-News-like dataset written by the tests, and a throwaway
copy of the project in its own git repo where `dvc repro` can run.

`built_project` (session) runs the whole pipeline once, on the real sample bundled in
data/sample, and is shared READ-ONLY by every test module that only reads its outputs, in every
pytest-xdist worker (the first to need it builds it, under a file lock); a test that changes
anything works on `copy_project(built_project.path, ...)`. Teardown fails if the shared project
was changed.

The suite runs on pytest-xdist workers (pytest.ini), a test module per worker at a time
(`--dist loadscope`: a module's fixture project is built once), the costliest modules first
(COSTLIEST_FIRST) so the workers finish together.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import random
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The suite runs one xdist worker per core, each starting TensorFlow processes: with pools of
# one thread each, no process spins threads waiting for a core another one holds (the whole
# suite on 2 cores: 250 s instead of 292 s). The train stages still size theirs from params
# (auto). Results never depend on it: tests compare runs made alike.
for _pool in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")
# oneDNN's kernels pay off on big matrices; on the suite's tiny models they cost ~10% more CPU
# per TensorFlow process. Off in every process of the suite: it changes float rounding, and
# tests compare outputs of different runs byte for byte (test_quiet checks a user's default).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
USER_ENVIRONMENT = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")  # what conftest sets, unset
os.environ["DVC_NO_ANALYTICS"] = "1"  # offline: no DVC command of the suite reports usage anywhere
SAMPLE_DIR = ROOT / "data" / "sample"  # the bundled real AG News sample (data/sample/README.md)

# Words that make each class learnable; shared words and AG News artifacts make it realistic.
CLASS_WORDS = {
    1: "minister election parliament troops embassy treaty rebels president capital ceasefire".split(),
    2: "coach season striker playoff tournament goalkeeper inning championship quarterback league".split(),
    3: "shares profit investors earnings merger quarterly revenue stocks dividend bankruptcy".split(),
    4: "software internet processor browser satellite genome wireless startup chip linux".split(),
}
SHARED_WORDS = "new report said week year people plans officials market world".split()
ARTIFACTS = ["#36;5 million", "quot;big quot;", "&lt;b&gt;update&lt;/b&gt;", "line\\break", "AT&amp;T"]


# The costliest test modules, costliest first (seconds on 2 busy cores, `pytest --durations=0`:
# behaviour ~180 (it trains the sample models), reruns ~135 with the shared build, resume ~55,
# disk_full ~50, multi_worker ~33, then ~25 down to ~5); every other module follows in file order. xdist hands modules out in this order, so the long ones
# start at once and the short ones fill in around them: the workers finish together.
COSTLIEST_FIRST = ["test_behaviour", "test_reruns", "test_resume", "test_disk_full", "test_multi_worker",
                   "test_distribute", "test_queue", "test_serving", "test_pipeline", "test_cli", "test_model", "test_inference",
                   "test_predict_robust", "test_bad_input", "test_artifacts", "test_known_answers",
                   "test_quiet", "test_atomic", "test_levers"]
MAX_WORKERS = 4  # each worker starts TensorFlow processes of ~1 GB; more rarely pays on a laptop


def pytest_xdist_auto_num_workers(config) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def pytest_collection_modifyitems(items) -> None:
    rank = {name: i for i, name in enumerate(COSTLIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: file order otherwise


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
    "wordclouds": {"max_words": 20},
    "model": {"cell": "lstm", "embedding_dim": 8, "units": 8, "dropout": 0.1},  # tests switch to gru
    "train": {"epochs": 2, "batch_size": 32, "patience": 1},
    "baseline": {"max_features": 500},
}
PYTHON = sys.executable
KILL_AT = ROOT / "tests" / "kill_at.py"  # runs a stage module and SIGKILLs it at a named point
KILLED = -9  # subprocess' returncode for a process ended by SIGKILL
PROJECT_FILES = ["dvc.yaml", "params.yaml", "stages", "newscat", "plots", ".dvcignore", ".gitignore",
                 "data/.gitignore", "data/sample", "data/nltk_data"]


# No subprocess of the suite may hang CI: a whole tiny `dvc repro` takes ~1-2 min on 2 cores.
SUBPROCESS_TIMEOUT = 300


def run(cmd: list[str], cwd: Path, check: bool = True, timeout: float = SUBPROCESS_TIMEOUT,
        unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run a command with the project's venv on PATH and without the environment variables
    named in `unset`; fail with its output if it fails or runs longer than `timeout` seconds."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com")
    for name in ("NLTK_DATA", *unset):  # NLTK_DATA: the project reads its own stopword list, never the user's
        env.pop(name, None)
    # Its own process group: on timeout the whole tree dies (a stage `dvc repro` started too).
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            raise AssertionError(f"{' '.join(cmd)} timed out after {timeout} s (its process group "
                                 f"was killed):\n{stdout}\n{stderr}") from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def run_stage_module(name: str, *args: str) -> None:
    """`python -m stages.<name> <args>`, in this process and the current folder: the stage script
    is run as `python -m` runs it (runpy), never imported. A refusal exits as the command does:
    SystemExit with its status, the error line on stderr (capsys)."""
    saved = sys.argv
    sys.argv = [f"stages/{name}.py", *args]
    try:
        runpy.run_module(f"stages.{name}", run_name="__main__", alter_sys=True)
    finally:
        sys.argv = saved


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
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
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


def copy_project(src: Path, dest: Path) -> Path:
    """A private copy of a project (its git repo and DVC cache included) at `dest`, to change."""
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def project_state(root: Path) -> dict[str, bytes]:
    """Every file of a project except git's and DVC's own bookkeeping and bytecode."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not {".git", "tmp", "__pycache__"} & set(p.relative_to(root).parts)}


def project_digests(root: Path) -> dict[str, str]:
    """{file: sha256} of project_state(root)."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in project_state(root).items()}


def run_folder(tmp_path_factory) -> Path:
    """This test run's temporary folder, the same in every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def scratch_inside_the_run(tmp_path_factory):
    """What TensorFlow, DVC and the stages put in temporary folders (autograph files, DVC's
    per-repo site cache, otherwise /var/tmp/dvc) stays in this run's folder, which pytest
    removes with its other old runs."""
    scratch = run_folder(tmp_path_factory) / "scratch"
    (scratch / "dvc_site_cache").mkdir(parents=True, exist_ok=True)
    os.environ.update(TMPDIR=str(scratch), DVC_SITE_CACHE_DIR=str(scratch / "dvc_site_cache"))
    tempfile.tempdir = str(scratch)


@dataclass(frozen=True)
class Built:
    path: Path                             # the project
    repro: subprocess.CompletedProcess     # what the command that made its outputs printed


def build_project(base: Path) -> Built:
    """The whole pipeline on the bundled real sample (data.csv_dir: data/sample, the default,
    relative to the project) with tiny model sizes, then committed. Run as a user would: with
    TensorFlow's own log level (the stages keep its start-up lines out of their logs)."""
    project = new_project(base)
    set_params(project, {"data": {"csv_dir": "data/sample"},
                         "train": {"batch_size": 128}})  # 34 steps per epoch on the sample's 4,320 rows
    repro = run(["dvc", "repro"], project, timeout=600, unset=("TF_CPP_MIN_LOG_LEVEL",))
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "built"], project)
    return Built(project, repro)


# Easy fixture data a model must learn (class words), and what test_resume and test_multi_worker
# train on it: one uninterrupted `train lstm` of EASY_EPOCHS epochs (patience as long: early
# stopping never ends it first) is the reference of both.
EASY_EPOCHS = 4
EASY_PARAMS = {"train": {"epochs": EASY_EPOCHS, "patience": EASY_EPOCHS, "learning_rate": 0.01},
               "model": {"embedding_dim": 16, "units": 16}}


def train_easy_project(base: Path) -> Built:
    """Fixture data (60 + 25 rows per class) through download, clean and vectorize, then one
    uninterrupted `python -m stages.train lstm`."""
    project = new_project(base, train_per_class=60, test_per_class=25)
    set_params(project, EASY_PARAMS)
    for stage in ("download", "clean", "vectorize"):
        run([PYTHON, "-m", f"stages.{stage}"], project)
    return Built(project, run([PYTHON, "-m", "stages.train", "lstm"], project))


def shared_project(tmp_path_factory, name: str, make):
    """`make(folder) -> Built`, run once per test run by whichever xdist worker asks first
    (under a file lock in the folder every worker's basetemp is in); the others read the record
    it leaves. Yields the Built; afterwards fails if a test changed a byte of the project."""
    shared = run_folder(tmp_path_factory)
    record = shared / f"{name}.json"
    with FileLock(shared / f"{name}.lock"):
        if not record.exists():
            try:
                built = make(Path(tempfile.mkdtemp(prefix=name, dir=shared)))
            except BaseException as exc:  # the other workers fail at once instead of building again
                record.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
                raise
            record.write_text(json.dumps({
                "path": str(built.path), "args": built.repro.args, "returncode": built.repro.returncode,
                "stdout": built.repro.stdout, "stderr": built.repro.stderr,
                "digests": project_digests(built.path)}))
    saved = json.loads(record.read_text())
    if "error" in saved:
        pytest.fail(f"building the shared {name} project failed (in another worker):\n{saved['error']}")
    built = Built(Path(saved["path"]), subprocess.CompletedProcess(
        saved["args"], saved["returncode"], saved["stdout"], saved["stderr"]))
    yield built
    after, before = project_digests(built.path), saved["digests"]
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"a test changed the shared {name} project (copy it first): {changed[:20]}"


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Built:
    """The whole pipeline run once on the bundled sample, then committed (build_project).
    Shared READ-ONLY by the test modules that only read its outputs, in every xdist worker
    (copy_project before changing anything)."""
    yield from shared_project(tmp_path_factory, "built", build_project)


def train_sample_models(base: Path) -> Built:
    """The models `make sample` trains: the project's own params.yaml (only data.source: csv,
    on the bundled sample), the stages up to training run directly (~3 min on 2 cores)."""
    project = new_project(base)
    defaults = yaml.safe_load((ROOT / "params.yaml").read_text())
    set_params(project, {**defaults, "data": {**defaults["data"], "source": "csv", "csv_dir": "data/sample"}})
    for stage in ("download", "clean", "vectorize", "train_baseline"):
        run([PYTHON, "-m", f"stages.{stage}"], project, timeout=600)
    run([PYTHON, "-m", "stages.train", "lstm"], project, timeout=900)
    return Built(project, run([PYTHON, "-m", "stages.train", "gru"], project, timeout=900))


@pytest.fixture(scope="session")
def sample_models(tmp_path_factory) -> Built:
    """The RNNs and the baseline as the sample pipeline trains them (train_sample_models), READ-ONLY."""
    yield from shared_project(tmp_path_factory, "sample_models", train_sample_models)


@pytest.fixture(scope="session")
def easy_trained_project(tmp_path_factory) -> Built:
    """Easy fixture data and one uninterrupted LSTM training on it (train_easy_project).
    Shared READ-ONLY like built_project."""
    yield from shared_project(tmp_path_factory, "easy", train_easy_project)


@pytest.fixture(scope="session")
def fresh_project(tmp_path_factory) -> Path:
    """new_project, made once (git and dvc init cost seconds); READ-ONLY, see `project`."""
    return new_project(tmp_path_factory.mktemp("fresh"))


@pytest.fixture
def project(fresh_project, tmp_path) -> Path:
    """A copy of the project in a fresh git repo (one commit), reading the fixture CSVs: this
    test's own copy of `fresh_project`. Tests that run the pipeline once and check several
    things use `built_project` or call new_project from a module-scoped fixture instead."""
    return copy_project(fresh_project, tmp_path / "project")

