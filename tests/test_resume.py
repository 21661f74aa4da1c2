"""A training run killed mid-way (SIGKILL right after its Nth epoch checkpoint is in place,
tests/kill_at.py: no chance to clean up) and started again continues after its last completed
epoch and ends exactly where an uninterrupted run ends: same weights, same optimizer state,
same DVCLive history; the checkpoint is gone afterwards. A checkpoint of another run (other
params, other code) is discarded with a reason, a diverging run fails and saves nothing."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from newscat.core.registry import CHECKPOINT_STATE

from conftest import EASY_EPOCHS, KILL_AT, KILLED, PYTHON, copy_project, file_bytes, set_params

EPOCHS = EASY_EPOCHS  # conftest.EASY_PARAMS: patience as long, so early stopping cannot end a run first
KILL_AFTER = 2  # completed epochs
CHECKPOINT = Path("tmp/resume/train_lstm/worker-0.keras")
MODEL_FILES = ("models/lstm_attention.weights.h5", "models/lstm_attention_model.keras")
OUTPUTS = MODEL_FILES + ("dvclive/train_lstm/**/*",)
RESUMED = re.compile(r"resume: continuing lstm after epoch (\d+)")
TIMEOUT = 300


def train_lstm(project: Path, kill_after: int | None = None) -> subprocess.CompletedProcess:
    """stages/train.py lstm; with `kill_after`, SIGKILLed once that many epoch checkpoints are saved."""
    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}")
    killer = [str(KILL_AT), "checkpoint", str(kill_after)] if kill_after else ["-m"]
    return subprocess.run([PYTHON, *killer, "stages.train", "lstm"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


def checkpoint_state(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(CHECKPOINT_STATE))


def write_checkpoint_state(path: Path, state: dict) -> None:
    """Replace the state in a checkpoint's archive (or write an archive holding only a state)."""
    entries = {}
    if path.exists():
        with zipfile.ZipFile(path) as archive:
            entries = {name: archive.read(name) for name in archive.namelist() if name != CHECKPOINT_STATE}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {**entries, CHECKPOINT_STATE: json.dumps(state).encode()}.items():
            archive.writestr(name, data)


def epochs_run(result: subprocess.CompletedProcess) -> list[int]:
    return [int(e) for e in re.findall(r"^Epoch (\d+)/\d+", result.stdout, re.M)]


@pytest.fixture(scope="module")
def runs(easy_trained_project, tmp_path_factory):
    """One uninterrupted run (the shared easy project's); then, in a copy of it, a run killed
    after epoch 2 (previous outputs in place) and its restart, same params. The copy is left as
    it was after the kill (the checkpoint stashed): tests copy it before changing anything."""
    base = tmp_path_factory.mktemp("resume")
    trained = easy_trained_project.path
    reference = file_bytes(trained, OUTPUTS)
    project = copy_project(trained, base / "project")

    killed = train_lstm(project, kill_after=KILL_AFTER)
    outputs_after_kill = file_bytes(project, OUTPUTS)
    killed_state = checkpoint_state(project / CHECKPOINT)
    with_model = copy_project(project, base / "with_model")  # killed with the previous model in place
    for name in MODEL_FILES:  # the restart must write them again
        (project / name).unlink()
    after_kill = copy_project(project, base / "after_kill")  # checkpoint of epoch 2, no model: for other tests
    resumed = train_lstm(project)
    return {
        "project": project, "after_kill": after_kill, "with_model": with_model, "uninterrupted": easy_trained_project.repro,
        "reference": reference, "checkpoint_left_after_uninterrupted": (trained / "tmp/resume").exists(),
        "killed": killed, "killed_state": killed_state, "outputs_after_kill": outputs_after_kill,
        "resumed": resumed, "resumed_outputs": file_bytes(project, OUTPUTS),
    }


def test_killed_run_left_previous_model_and_dvclive_files_unchanged(runs):
    assert runs["killed"].returncode == KILLED, runs["killed"].stderr
    assert epochs_run(runs["killed"]) == [1, 2]
    assert runs["outputs_after_kill"] == runs["reference"]  # models and every DVCLive file


def test_restart_resumes_even_with_the_previous_model_in_place(runs):
    """A direct or forced rerun killed mid-way, its previous model still there: the restart
    continues its own checkpoint instead of discarding it as finished."""
    project = copy_project(runs["with_model"], runs["with_model"].parent / "with_model_restart")
    resumed = train_lstm(project)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    match = RESUMED.search(resumed.stdout)
    assert match and int(match.group(1)) == KILL_AFTER, resumed.stdout[-3000:]
    assert file_bytes(project, OUTPUTS) == runs["reference"]


def test_restart_continues_after_last_completed_epoch(runs):
    match = RESUMED.search(runs["resumed"].stdout)
    assert match, runs["resumed"].stdout
    assert int(match.group(1)) == runs["killed_state"]["epochs_done"] == KILL_AFTER
    assert epochs_run(runs["resumed"]) == list(range(KILL_AFTER + 1, EPOCHS + 1))
    assert f"s of training (epochs {KILL_AFTER + 1}-{EPOCHS}: resumed); kept epoch" in runs["resumed"].stdout


def test_uninterrupted_run_trains_every_epoch_from_scratch(runs):
    assert not RESUMED.search(runs["uninterrupted"].stdout) and ": resumed)" not in runs["uninterrupted"].stdout
    assert epochs_run(runs["uninterrupted"]) == list(range(1, EPOCHS + 1))


@pytest.mark.parametrize("output", MODEL_FILES)
def test_resumed_model_equals_uninterrupted(runs, output):
    """Weights (and, in the .keras file, the optimizer state) to the last bit."""
    assert runs["resumed_outputs"][output] == runs["reference"][output]


def test_resumed_dvclive_history_equals_uninterrupted(runs):
    """Every epoch exactly once in the per-epoch .tsv files, the same summary."""
    live = {k: v for k, v in runs["reference"].items() if k.startswith("dvclive/")}
    assert any(k.endswith("eval/loss.tsv") for k in live)
    resumed = {k: v for k, v in runs["resumed_outputs"].items() if k.startswith("dvclive/")}
    assert resumed == live
    steps = [line.split("\t")[0] for line in
             live["dvclive/train_lstm/plots/metrics/eval/loss.tsv"].decode().splitlines()[1:]]
    assert steps == [str(e) for e in range(EPOCHS)]


def test_dvclive_summary_describes_the_kept_epoch(runs):
    """metrics.json: the epoch EarlyStopping kept (lowest val_loss, 1-based), not the last one."""
    live = runs["reference"]
    summary = json.loads(live["dvclive/train_lstm/metrics.json"])
    rows = [line.split("\t") for line in live["dvclive/train_lstm/plots/metrics/eval/loss.tsv"].decode().splitlines()[1:]]
    losses = [float(r[-1]) for r in rows]
    best = min(range(len(losses)), key=losses.__getitem__)
    assert summary["best_epoch"] == best + 1 and summary["epochs_run"] == EPOCHS
    assert summary["val_loss"] == round(losses[best], 4)  # rounded like every metrics file
    assert {"val_accuracy", "train_loss", "train_accuracy"} <= set(summary)


@pytest.mark.parametrize("which", ["uninterrupted", "resumed"])
def test_checkpoint_removed_after_success(runs, which):
    if which == "uninterrupted":
        assert not runs["checkpoint_left_after_uninterrupted"]
    else:
        assert (runs["after_kill"] / CHECKPOINT).exists()  # it did exist
        assert not (runs["project"] / "tmp/resume").exists()


@pytest.fixture(scope="module")
def diverged(runs, tmp_path_factory):
    """(project, result): the copy killed after epoch 2, restarted with a learning rate so high
    (3e38, near float32's largest: weights overflow) that the loss turns NaN; validation passes it.
    Other params than the checkpoint's, too."""
    project = copy_project(runs["after_kill"], tmp_path_factory.mktemp("diverged") / "p")
    live_before = file_bytes(project, ("dvclive/**/*",))
    set_params(project, {"train": {"learning_rate": 3e38}})
    return project, train_lstm(project), live_before


def test_checkpoint_of_other_params_is_not_resumed(diverged):
    """A checkpoint left by a run with other params is discarded: training starts at epoch 1
    (that it then also saves what it trains: test_checkpoint_of_other_code_...)."""
    project, result, _ = diverged
    assert "discarding" in result.stdout and "other params" in result.stdout, result.stdout
    assert not RESUMED.search(result.stdout) and epochs_run(result)[:1] == [1]
    assert not (project / "tmp/resume").exists()


def test_checkpoint_of_other_code_is_not_resumed_and_new_code_is_saved(runs, tmp_path):
    """Killed after epoch 2, then a layer is added in newscat/core/model.py: the restart says why
    it discards the checkpoint, trains from epoch 1 and saves the new architecture."""
    project = copy_project(runs["after_kill"], tmp_path / "p")
    model_py = project / "newscat" / "core" / "model.py"
    source = model_py.read_text()
    anchor = '    x = layers.Dropout(dropout, seed=seed, name="dropout")(x)\n'
    assert anchor in source
    model_py.write_text(source.replace(anchor, '    x = layers.Dense(8, activation="relu", name="extra_hidden")(x)\n' + anchor))
    result = train_lstm(project)
    assert result.returncode == 0, result.stderr
    assert re.search(r"resume: discarding .*changed code: newscat/core/model.py", result.stdout), result.stdout
    assert not RESUMED.search(result.stdout) and epochs_run(result) == list(range(1, EPOCHS + 1))
    with zipfile.ZipFile(project / "models/lstm_attention_model.keras") as zf:
        assert b"extra_hidden" in zf.read("config.json")


def test_run_killed_after_early_stopping_does_not_train_on(runs, tmp_path):
    """Killed after EarlyStopping ended training but before the model was saved: the restart
    trains no further epoch and still writes the model and a history of exactly those epochs."""
    project = copy_project(runs["after_kill"], tmp_path / "p")
    state = checkpoint_state(project / CHECKPOINT)
    write_checkpoint_state(project / CHECKPOINT, {**state, "stopped": True})
    result = train_lstm(project)
    done = state["epochs_done"]
    assert RESUMED.search(result.stdout) and int(RESUMED.search(result.stdout).group(1)) == done
    assert epochs_run(result) == [], result.stdout
    tsv = (project / "dvclive/train_lstm/plots/metrics/eval/loss.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in tsv[1:]] == [str(e) for e in range(done)]
    assert json.loads((project / "dvclive/train_lstm/metrics.json").read_text())["epochs_run"] == done
    assert not (project / "tmp/resume").exists()


def test_infinite_learning_rate_is_refused_before_training(runs, tmp_path):
    project = copy_project(runs["after_kill"], tmp_path / "p")
    before = file_bytes(project, ("dvclive/**/*", "models/*", "tmp/**/*"))
    set_params(project, {"train": {"learning_rate": float("inf")}})
    result = train_lstm(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "train.learning_rate = inf is invalid: Input should be a finite number" in result.stderr, result.stderr
    assert file_bytes(project, ("dvclive/**/*", "models/*", "tmp/**/*")) == before


def test_diverging_training_fails_clearly_and_saves_nothing(diverged):
    """A finite rate far too high passes validation; the loss turns NaN in training."""
    project, result, live_before = diverged
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(r"error: train: loss is (nan|inf) after epoch \d+; training diverged and nothing was "
                     r"saved\. Likely cause: train\.learning_rate = 3e\+38 is too high", result.stderr), result.stderr
    assert not any((project / name).exists() for name in MODEL_FILES)
    assert file_bytes(project, ("dvclive/**/*",)) == live_before
    assert not (project / "tmp/resume").exists() and not list((project / "tmp").rglob("*.keras"))


def check_params(project: Path) -> subprocess.CompletedProcess:
    """The cheapest stage (no TensorFlow): every stage first removes superseded checkpoints."""
    return subprocess.run([PYTHON, "-m", "stages.check_params"], cwd=project, capture_output=True,
                          text=True, timeout=TIMEOUT)


def test_checkpoint_is_removed_by_any_stage_once_its_model_is_put_in_place_after_it(runs, tmp_path):
    """A kill left a checkpoint; then the model was put in place without that training
    resuming it (as DVC does when it restores the stage from its run cache or a checkout):
    the next stage of any kind removes it, saying so."""
    project = copy_project(runs["after_kill"], tmp_path / "p")
    for name in MODEL_FILES:  # put in place now, after the checkpoint (DVC copies: a new file)
        shutil.copyfile(runs["project"] / name, project / name)
    result = check_params(project)
    assert result.returncode == 0, result.stderr
    assert f"resume: removing {CHECKPOINT.parent}: models/lstm_attention_model.keras was put in place after it" \
        in result.stderr
    assert not (project / "tmp/resume").exists()


def test_checkpoint_newer_than_the_model_in_place_is_kept_for_its_training(runs, tmp_path):
    """Killed with the previous model in place (a direct or forced rerun): a stage that is not
    that training leaves the checkpoint, which the training resumes
    (test_restart_resumes_even_with_the_previous_model_in_place)."""
    project = copy_project(runs["with_model"], tmp_path / "p")
    before = file_bytes(project, ("tmp/resume/**/*",))
    assert check_params(project).returncode == 0
    assert file_bytes(project, ("tmp/resume/**/*",)) == before and before


def test_lock_left_by_a_training_that_never_saved_is_removed_without_a_reason(tmp_path, monkeypatch, capsys):
    """A training that failed before its first checkpoint (a full disk) leaves its lock file
    alone: removed quietly, not reported as a checkpoint whose model came later."""
    from newscat.core.staging import remove_superseded_checkpoints

    monkeypatch.chdir(tmp_path)
    (tmp_path / CHECKPOINT.parent).mkdir(parents=True)
    (tmp_path / CHECKPOINT.parent / "worker-0.lock").write_text("")
    remove_superseded_checkpoints()
    assert not (tmp_path / "tmp/resume").exists()
    assert capsys.readouterr().err == ""


def test_checkpoint_half_written_by_a_kill_is_discarded_and_the_previous_one_kept(tmp_path):
    """Killed while writing epoch N's checkpoint (a temporary archive beside it, never renamed):
    the temporary is deleted and epoch N-1's checkpoint is the one read."""
    from newscat.train.resume import read_state

    path = tmp_path / "train_lstm" / "worker-0.keras"
    write_checkpoint_state(path, {"run": {"cell": "lstm"}, "epochs_done": 1})
    (tmp_path / "train_lstm" / "worker-0.tmp.keras").write_bytes(b"PK\x03\x04 cut short")
    assert read_state(path) == {"run": {"cell": "lstm"}, "epochs_done": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["worker-0.keras"]


def test_checkpoint_in_use_by_a_running_training_is_neither_shared_nor_deleted(tmp_path):
    """Another process trains this cell now (holds the checkpoint's lock): a second training
    of it stops with a clear error, and a training of any cell leaves that checkpoint alone
    even though it belongs to other params."""
    import fcntl

    from newscat.core.errors import PipelineError
    from newscat.train.resume import claim_checkpoint, remove_stale_checkpoints

    path = tmp_path / "train_lstm" / "worker-0.keras"
    write_checkpoint_state(path, {"run": {"cell": "lstm", "params": "other"}})
    with open(tmp_path / "train_lstm" / "worker-0.lock", "w") as running:
        fcntl.flock(running, fcntl.LOCK_EX)
        with pytest.raises(PipelineError, match="in use: another training"):
            claim_checkpoint(path)
        identity = {"cell": "lstm", "params": "p", "data": "d", "code": {}, "versions": "v"}
        remove_stale_checkpoints({"lstm": identity}, root=tmp_path)
        assert path.exists()
    remove_stale_checkpoints({"lstm": identity}, root=tmp_path)  # its training ended
    assert not (tmp_path / "train_lstm").exists()


@pytest.mark.parametrize("logs", [{"loss": float("nan")}, {"loss": 0.5, "val_loss": float("inf")}])
def test_non_finite_loss_stops_training_naming_epoch_and_learning_rate(logs):
    from newscat.train.fit import NonFiniteLoss, StopOnNonFiniteLoss

    with pytest.raises(NonFiniteLoss, match=r"after epoch 3; training diverged and nothing was saved\. "
                                            r"Likely cause: train\.learning_rate = 0\.5 is too high"):
        StopOnNonFiniteLoss(0.5).on_epoch_end(2, logs)


def test_finite_loss_lets_training_go_on():
    from newscat.train.fit import StopOnNonFiniteLoss

    StopOnNonFiniteLoss(0.5).on_epoch_end(0, {"loss": 0.5, "val_loss": 0.7})
