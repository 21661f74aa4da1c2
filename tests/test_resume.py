"""A training run killed mid-way (SIGKILL, no chance to clean up) and started again continues
after its last completed epoch and ends exactly where an uninterrupted run ends: same weights,
same optimizer state, same DVCLive history; the checkpoint folder is gone afterwards."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PYTHON, file_bytes, new_project, run, set_params

EPOCHS = 5
KILL_AFTER = 2  # completed epochs
# batch_size 2 makes an epoch (72 steps) long enough to kill the run inside the next one;
# patience >= epochs so early stopping cannot end the run first.
TRAIN = {"epochs": EPOCHS, "patience": EPOCHS, "batch_size": 2}
CHECKPOINT = Path("tmp/resume/train_lstm")
OUTPUTS = ("models/lstm_attention.weights.h5", "models/lstm_attention_model.keras",
           "dvclive/train_lstm/**/*")
RESUMED = re.compile(r"resume: continuing lstm after epoch (\d+)")


def train_lstm(project: Path) -> subprocess.CompletedProcess:
    return run([PYTHON, "stages/train.py", "lstm"], project)


def kill_after_epochs(project: Path, epochs_done: int, log: Path, timeout: float = 300) -> dict:
    """Start train_lstm, SIGKILL it as soon as its checkpoint holds `epochs_done` epochs;
    the checkpoint's state.json at that moment."""
    state_file = project / CHECKPOINT / "state.json"
    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}")
    with open(log, "w") as out:
        proc = subprocess.Popen([PYTHON, "stages/train.py", "lstm"], cwd=project, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        state = None
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    state = json.loads(state_file.read_text())
                except (FileNotFoundError, json.JSONDecodeError):
                    state = None
                if state and state["epochs_done"] >= epochs_done:
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.005)
        finally:
            if proc.poll() is None and state is None:
                proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"training was not killed:\n{log.read_text()}"
    assert state is not None and epochs_done <= state["epochs_done"] < EPOCHS, state
    return state


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One uninterrupted run, then a run killed after epoch 2 and its restart, same params."""
    project = new_project(tmp_path_factory.mktemp("resume"))
    set_params(project, {"train": TRAIN})
    run(["dvc", "repro", "vectorize"], project)

    uninterrupted = train_lstm(project)
    reference = file_bytes(project, OUTPUTS)
    checkpoint_left_after_uninterrupted = (project / CHECKPOINT).exists()
    for name in list(reference):  # the next runs must write them again
        (project / name).unlink()

    killed_state = kill_after_epochs(project, KILL_AFTER, project.parent / "killed.log")
    stash = project.parent / "checkpoint_after_kill"
    shutil.copytree(project / CHECKPOINT.parent, stash)
    outputs_after_kill = file_bytes(project, OUTPUTS[:2])
    resumed = train_lstm(project)
    return {
        "project": project, "stash": stash, "uninterrupted": uninterrupted, "reference": reference,
        "checkpoint_left_after_uninterrupted": checkpoint_left_after_uninterrupted,
        "killed_state": killed_state, "outputs_after_kill": outputs_after_kill, "resumed": resumed,
        "resumed_outputs": file_bytes(project, OUTPUTS),
    }


def test_killed_run_wrote_no_model(runs):
    assert runs["outputs_after_kill"] == {}


def test_restart_continues_after_last_completed_epoch(runs):
    match = RESUMED.search(runs["resumed"].stdout)
    assert match, runs["resumed"].stdout
    assert int(match.group(1)) == runs["killed_state"]["epochs_done"] >= KILL_AFTER
    epochs_run = [int(e) for e in re.findall(rf"^Epoch (\d+)/{EPOCHS}", runs["resumed"].stdout, re.M)]
    assert epochs_run == list(range(int(match.group(1)) + 1, EPOCHS + 1))


def test_uninterrupted_run_trains_every_epoch_from_scratch(runs):
    assert not RESUMED.search(runs["uninterrupted"].stdout)
    assert re.findall(rf"^Epoch (\d+)/{EPOCHS}", runs["uninterrupted"].stdout, re.M) == \
        [str(e) for e in range(1, EPOCHS + 1)]


@pytest.mark.parametrize("output", ["models/lstm_attention.weights.h5",
                                    "models/lstm_attention_model.keras"])
def test_resumed_model_equals_uninterrupted(runs, output):
    """Weights (and, in the .keras file, the optimizer state) to the last bit."""
    assert runs["resumed_outputs"][output] == runs["reference"][output]


def test_resumed_dvclive_history_equals_uninterrupted(runs):
    """Every epoch exactly once in the per-epoch .tsv files, final metrics the same."""
    live = {k: v for k, v in runs["reference"].items() if k.startswith("dvclive/")}
    assert any(k.endswith("eval/loss.tsv") for k in live)
    resumed = {k: v for k, v in runs["resumed_outputs"].items() if k.startswith("dvclive/")}
    assert resumed == live
    steps = [line.split("\t")[0] for line in
             live["dvclive/train_lstm/plots/metrics/eval/loss.tsv"].decode().splitlines()[1:]]
    assert steps == [str(e) for e in range(EPOCHS)]


@pytest.mark.parametrize("which", ["uninterrupted", "resumed"])
def test_checkpoint_removed_after_success(runs, which):
    if which == "uninterrupted":
        assert not runs["checkpoint_left_after_uninterrupted"]
    else:
        assert (runs["stash"] / CHECKPOINT.name / "state.json").exists()  # it did exist
        assert not (runs["project"] / CHECKPOINT).exists()
        assert not list((runs["project"] / CHECKPOINT.parent).glob("train_lstm*"))


def test_checkpoint_of_other_params_is_not_resumed(runs):
    """A checkpoint left by a run with other params is discarded: training starts at epoch 1."""
    project = runs["project"]
    shutil.rmtree(project / CHECKPOINT.parent, ignore_errors=True)
    shutil.copytree(runs["stash"], project / CHECKPOINT.parent)
    set_params(project, {"train": {**TRAIN, "epochs": 2}})
    try:
        result = train_lstm(project)
    finally:
        set_params(project, {"train": TRAIN})
    assert "ignoring" in result.stdout and not RESUMED.search(result.stdout)
    assert re.findall(r"^Epoch (\d+)/2", result.stdout, re.M) == ["1", "2"]
    assert not (project / CHECKPOINT).exists()


def test_run_killed_after_early_stopping_does_not_train_on(runs):
    """Killed after EarlyStopping ended training but before the model was saved: the restart
    trains no further epoch and still writes the model and a history of exactly those epochs."""
    project = runs["project"]
    shutil.rmtree(project / CHECKPOINT.parent, ignore_errors=True)
    shutil.copytree(runs["stash"], project / CHECKPOINT.parent)
    state_file = project / CHECKPOINT / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "stopped": True}))
    result = train_lstm(project)
    done = state["epochs_done"]
    assert RESUMED.search(result.stdout) and int(RESUMED.search(result.stdout).group(1)) == done
    assert not re.findall(r"^Epoch \d+/", result.stdout, re.M), result.stdout
    tsv = (project / "dvclive/train_lstm/plots/metrics/eval/loss.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in tsv[1:]] == [str(e) for e in range(done)]
    assert (project / "models/lstm_attention.weights.h5").exists()
    assert not (project / CHECKPOINT).exists()


def test_checkpoint_killed_between_renames_is_recovered(tmp_path):
    """Killed after the old checkpoint was moved aside but before the new one took its place:
    the previous epoch's checkpoint (.old) is used; a half-written .tmp is discarded."""
    from newscat.resume import load_checkpoint

    directory = tmp_path / "train_lstm"
    old = tmp_path / "train_lstm.old"
    old.mkdir()
    (old / "state.json").write_text(json.dumps({"fingerprint": "someone-else", "epochs_done": 1}))
    (tmp_path / "train_lstm.tmp").mkdir()
    assert load_checkpoint(directory, "this-run") is None  # recovered, then found to be another run's
    assert not old.exists() and not (tmp_path / "train_lstm.tmp").exists() and not directory.exists()
