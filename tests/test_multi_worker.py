"""train.distribute: multi_worker for real: two worker processes on 127.0.0.1 (free ports, TF_CONFIG
as the README shows) each run the train stage (`python -m stages.train lstm`) in one fixture project, as two hosts
sharing a disk would, next to a single-process run of the same stage on the same data.

Every Python-level write of each process (open for writing, mkdir, rename, remove) is logged by
an audit hook, so the test sees which process wrote which path. A second pair of processes
iterates the train stage's input pipeline through the same strategy machinery Keras' fit uses
(strategy.experimental_distribute_dataset) and reports the rows each worker got per epoch.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import EASY_EPOCHS, PYTHON, ROOT, copy_project, set_params

TIMEOUT_S = 120  # both workers together; they finish in ~30-60 s on 2 busy cores
EPOCHS = EASY_EPOCHS  # conftest.EASY_PARAMS: what the single-process run trained
TOLERANCE = 0.05  # test accuracy, chief vs single process (see test_chief_scores_like_one_process)

# Runs a script under an audit hook that logs, one JSON line each, the project paths this
# process writes, creates, renames or removes (Python-level: open, os.*, shutil.rmtree).
AUDITED = textwrap.dedent("""
    import json, os, runpy, sys
    log = open(sys.argv[1], "w", buffering=1)
    project = os.getcwd()
    NO_FD = (None, -1)  # how the audit events say "no dir_fd"
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    def note(kind, path):
        if isinstance(path, (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(path))
            if path.startswith(project + os.sep):
                log.write(json.dumps([kind, os.path.relpath(path, project)]) + "\\n")
    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if (isinstance(mode, str) and set(mode) & set("wax+")) or (mode is None and flags & WRITE_FLAGS):
                note("write", path)
        elif event == "os.rename" and args[2] in NO_FD and args[3] in NO_FD:  # os.replace too
            note("rename", args[0]); note("rename", args[1])
        elif event in ("os.remove", "os.rmdir") and args[1] in NO_FD:  # with a dir_fd: inside an rmtree
            note(event[3:], args[0])
        elif event == "os.mkdir" and args[2] in NO_FD:
            note("mkdir", args[0])
        elif event in ("shutil.rmtree", "os.truncate"):
            note("remove", args[0])
    sys.addaudithook(hook)
    module, sys.argv = sys.argv[2], sys.argv[2:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)  # as `python -m <module>`
""")

# Iterates the train stage's pipeline (newscat.train.training.train_batches, rows tagged with their
# index) for EPOCHS epochs through MultiWorkerMirroredStrategy and prints the rows it was given.
SHARD_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from newscat.train.distribute import strategy_for
    from newscat.train.training import steps_per_epoch, train_batches
    n, batch, epochs = 203, 32, int(sys.argv[1])  # 203: the last batch of an epoch is short
    rng = np.random.default_rng(0)
    x = np.zeros((n, 12), np.int32)
    lengths = rng.integers(1, 12, n)
    for i in range(n):
        x[i, :lengths[i]] = 2
        x[i, 0] = i + 2  # the row's id, in the first (never padded) position
    strategy = strategy_for("multi_worker")
    data = strategy.experimental_distribute_dataset(train_batches(x, np.zeros(n, np.int64), batch, 42, 0, epochs))
    it, seen = iter(data), []
    for epoch in range(epochs):
        rows = []
        for _ in range(steps_per_epoch(n, batch)):
            for local in strategy.experimental_local_results(next(it)[0]):
                rows += [int(v) - 2 for v in local.numpy()[:, 0]]
        seen.append(rows)
    print("ROWS " + json.dumps(seen))
""")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def worker_env(ports: list[int], index: int) -> dict:
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")


def run_two_workers(argv_of, cwd: Path) -> list[dict]:
    """Start worker 0 and 1 together (argv_of(index) each), wait for both under TIMEOUT_S."""
    ports = free_ports(2)
    procs = [subprocess.Popen(argv_of(i), cwd=cwd, env=worker_env(ports, i), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    start, results = time.monotonic(), []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=max(1.0, TIMEOUT_S - (time.monotonic() - start)))
            results.append({"rc": proc.returncode, "out": out, "err": err})
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
        pytest.fail(f"two workers did not finish within {TIMEOUT_S} s")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    seconds = time.monotonic() - start
    for r in results:
        r["seconds"] = seconds
    return results


def accuracy_on_test_split(project: Path) -> float:
    """Test accuracy of the project's saved LSTM (loaded in this process)."""
    import keras

    import newscat.core.model  # noqa: F401  (registers the attention layer)
    from newscat.train.training import eval_batches

    model = keras.models.load_model(project / "models" / "lstm_attention_model.keras")
    x, y = (np.load(project / "data" / "vectorized" / f"{name}_test.npy") for name in ("x", "y"))
    return float(np.mean(model.predict(eval_batches(x), verbose=0).argmax(1) == y))


@pytest.fixture(scope="module")
def runs(easy_trained_project, tmp_path_factory):
    """The single-process run is the shared easy project's; the two workers train a copy of it
    whose model and DVCLive files were deleted first."""
    base = tmp_path_factory.mktemp("multi_worker")
    single = easy_trained_project.path
    project = copy_project(single, base / "project")
    for output in ("models/lstm_attention_model.keras", "models/lstm_attention.weights.h5"):
        (project / output).unlink()
    shutil.rmtree(project / "dvclive" / "train_lstm")

    set_params(project, {"train": {"distribute": "multi_worker"}})
    before = {p.relative_to(project) for p in project.rglob("*") if ".git" not in p.parts}
    logs = [base / f"writes-{i}.jsonl" for i in range(2)]
    workers = run_two_workers(lambda i: [PYTHON, "-c", AUDITED, str(logs[i]), "stages.train", "lstm"], project)
    writes = [{tuple(json.loads(line)) for line in log.read_text().splitlines()} if log.exists() else set()
              for log in logs]
    probe = run_two_workers(lambda i: [PYTHON, "-c", SHARD_PROBE, str(EPOCHS)], project)
    print(f"\ntwo workers: train_lstm {workers[0]['seconds']:.1f} s wall; shard probe {probe[0]['seconds']:.1f} s")
    return {"project": project, "single": single, "workers": workers, "writes": writes, "before": before,
            "probe": probe}


def test_both_workers_finish(runs):
    for i, r in enumerate(runs["workers"]):
        assert r["rc"] == 0, f"worker {i}:\n{r['out'][-2000:]}\n{r['err'][-4000:]}"
    assert "not the chief worker, nothing written" in runs["workers"][1]["out"]


def test_only_the_chief_writes_models_and_dvclive(runs):
    chief, other = ({path for _, path in events} for events in runs["writes"])
    for prefix in ("models/lstm_attention_model.keras", "models/lstm_attention.weights.h5", "dvclive/train_lstm"):
        assert any(p.startswith(prefix) or prefix in p for p in chief), (prefix, sorted(chief))
    assert not [p for p in other if p.startswith(("models", "dvclive"))], sorted(other)
    assert (runs["project"] / "models/lstm_attention_model.keras").is_file()
    assert (runs["project"] / "dvclive/train_lstm/metrics.json").is_file()


def test_no_two_workers_write_the_same_path(runs):
    """On a disk both share, each writes its own files (checkpoints: one file per worker).
    Both creating (mkdir) or trying to remove (rmdir: only if empty) a parent folder of their
    own folders is no collision; any other write, rename or removal of one path by both is."""
    touched = [{path for _, path in events} for events in runs["writes"]]
    kinds = {}
    for events in runs["writes"]:
        for kind, path in events:
            kinds.setdefault(path, set()).add(kind)
    shared = {p for p in touched[0] & touched[1] if not kinds[p] <= {"mkdir", "rmdir"}}
    assert touched[0] and touched[1] and not shared, sorted((p, sorted(kinds[p])) for p in shared)


def test_each_row_is_trained_on_once_per_epoch_across_the_workers(runs):
    seen = []
    for i, r in enumerate(runs["probe"]):
        assert r["rc"] == 0, f"probe worker {i}:\n{r['err'][-4000:]}"
        seen.append(json.loads(next(l for l in r["out"].splitlines() if l.startswith("ROWS "))[5:]))
    for epoch in range(EPOCHS):
        worker0, worker1 = seen[0][epoch], seen[1][epoch]
        assert sorted(worker0 + worker1) == list(range(203)), f"epoch {epoch}"
        assert abs(len(worker0) - len(worker1)) <= 8  # each gets about half (the short last batch)
    assert seen[0][0] != seen[0][1]  # and a fresh order every epoch


def test_chief_scores_like_one_process(runs):
    """Same global batch, seeds and order; each worker computes the gradient of its half of
    the batch and the two are averaged, so in exact arithmetic the steps are the same. What
    differs is float summation order and each replica's own dropout masks: on 100 test rows
    that moves a few borderline predictions at most. Both must learn the fixture's class
    words (>= 0.9) and agree within TOLERANCE (5 rows)."""
    single, multi = accuracy_on_test_split(runs["single"]), accuracy_on_test_split(runs["project"])
    print(f"\ntest accuracy: single process {single:.3f}, two workers (chief's model) {multi:.3f}")
    assert single >= 0.9 and multi >= 0.9, (single, multi)
    assert abs(single - multi) <= TOLERANCE, (single, multi)
