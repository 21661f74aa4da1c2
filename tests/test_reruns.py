"""Reruns are identical: `dvc repro --force` on the same machine, same params and data, writes
byte-identical outputs (metrics, DVCLive history, models, figures, data), so dvc.lock does not
change and nothing downstream of an unchanged stage ever reruns. Before the forced rerun, four
stages are killed in their write phase (SIGKILL at a rename the test counts, tests/kill_at.py):
the previous outputs stay as they were, and after the rerun the checkout is
exactly as after an uninterrupted run (`git status` clean, no temporaries, no checkpoint). The first run is the shared
built project; the kills and the forced rerun happen in a copy of it (so outputs may not depend
on where the project lives either)."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import KILL_AT, KILLED, copy_project, file_bytes, run

GROUPS = {
    "metrics": ("metrics/*.json",),
    "dvclive": ("dvclive/**/*",),
    "confusion_csv": ("eval/*.csv",),
    "figures": ("Figures/*.png",),
    "model_weights": ("models/*.weights.h5",),
    "keras_models": ("models/*.keras",),
    "baseline_model": ("models/baseline.joblib",),
    "vocabulary": ("models/vocab.txt",),
    # Both cells' SavedModels, exported by two processes: variable order (which follows the traced
    # function's captures) and fingerprint.pb's uuid used to differ from run to run.
    "serving": ("models/*_serving/**/*",),
    "data": ("data/raw/*", "data/clean/*", "data/vectorized/*"),
}
ALL = tuple(p for patterns in GROUPS.values() for p in patterns)
# (stage module and args, killed before its Nth rename out of tmp/staging, tests/kill_at.py):
# N=2, the commit plan written and no output in place; N=3, the first in place, the others not.
# The next stage to start in the checkout (here check_params) puts the rest in place.
KILLS = {
    "vectorize": (["stages.vectorize"], 3),
    "train_lstm": (["stages.train", "lstm"], 2),
    "evaluate": (["stages.evaluate"], 3),
    "export": (["stages.export"], 2),
}


def killed_run(project: Path, args: list[str], rename: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(KILL_AT), "staged", str(rename), *args], cwd=project,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def reruns(built_project, tmp_path_factory):
    first, first_lock = file_bytes(built_project.path, ALL), (built_project.path / "dvc.lock").read_text()
    project = copy_project(built_project.path, tmp_path_factory.mktemp("reruns") / "project")
    killed, staging = {}, {}
    for stage, (args, rename) in KILLS.items():
        killed[stage] = killed_run(project, args, rename)
        staging[stage] = sorted(p.name for p in (project / "tmp/staging").iterdir() if p.is_dir())
        run([sys.executable, "-m", "stages.check_params"], project)
    after_kills = file_bytes(project, ALL)
    forced = run(["dvc", "repro", "--force"], project)
    second, second_lock = file_bytes(project, ALL), (project / "dvc.lock").read_text()
    status = run(["dvc", "status"], project)
    git_status = run(["git", "status", "--porcelain", "--untracked-files=all"], project)
    scratch = sorted(str(p.relative_to(project)) for p in (project / "tmp").rglob("*")) \
        if (project / "tmp").exists() else []
    return {"project": project, "first": first, "second": second, "forced": forced,
            "locks": (first_lock, second_lock), "status": status, "killed": killed,
            "after_kills": after_kills, "staging": staging,
            "git_status": git_status.stdout, "scratch": scratch}


def test_forced_rerun_ran_every_stage(reruns):
    stages = yaml.safe_load((reruns["project"] / "dvc.yaml").read_text())["stages"]
    for stage in stages:
        assert f"Running stage '{stage}'" in reruns["forced"].stdout


@pytest.mark.parametrize("group", GROUPS)
def test_outputs_are_byte_identical(reruns, group):
    first = {k: v for k, v in reruns["first"].items() if any(_match(k, p) for p in GROUPS[group])}
    second = {k: v for k, v in reruns["second"].items() if any(_match(k, p) for p in GROUPS[group])}
    assert first, f"no {group} outputs found"
    assert sorted(second) == sorted(first)
    changed = [name for name in first if first[name] != second[name]]
    assert changed == []


def test_dvc_lock_unchanged_and_pipeline_up_to_date(reruns):
    first, second = reruns["locks"]
    assert first == second
    assert "up to date" in reruns["status"].stdout.lower()


def test_keras_archive_has_no_save_time_or_memory_addresses(reruns):
    """What used to differ between saves: date_saved, zip entry times, id()-based shared_object_id."""
    path = reruns["project"] / "models" / "lstm_attention_model.keras"
    with zipfile.ZipFile(path) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"shared_object_id" not in zf.read("config.json")
        assert b'"date_saved": "1980-01-01@00:00:00"' in zf.read("metadata.json")


def test_reproducible_keras_archive_still_loads_the_same_model(reruns):
    """Dropping shared_object_id and the save time changes nothing the loaded model computes."""
    import keras
    import numpy as np

    import newscat.core.model  # noqa: F401  (registers the attention layer)

    project = reruns["project"]
    model = keras.models.load_model(project / "models" / "lstm_attention_model.keras")
    reference = newscat.core.model.build_model("lstm", model.get_layer("embedding").input_dim, 8, 8, 0.1)
    reference.load_weights(project / "models" / "lstm_attention.weights.h5")
    x = np.load(project / "data" / "vectorized" / "x_val.npy")
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert model.optimizer.iterations.numpy() > 0  # the optimizer state came back too


def _match(name: str, pattern: str) -> bool:
    from fnmatch import fnmatch
    return fnmatch(name, pattern) or (pattern.endswith("/**/*") and name.startswith(pattern[:-4]))


@pytest.mark.parametrize("stage", KILLS)
def test_stage_killed_in_write_phase_died_there(reruns, stage):
    result = reruns["killed"][stage]
    assert result.returncode == KILLED, result.stdout[-2000:] + result.stderr[-3000:]


def test_kills_in_write_phase_left_outputs_as_they_were(reruns):
    """Each killed stage's outputs were completed by the next stage start: whole, and (same
    params) the same bytes."""
    assert reruns["after_kills"] == reruns["first"]


def test_temporaries_of_a_killed_stage_are_removed_by_the_next_stage(reruns):
    """Each killed stage left its own staging folder (only), so it deleted the previous one's."""
    folders = list(reruns["staging"].values())
    assert all(len(f) == 1 for f in folders) and len({f[0] for f in folders}) == len(KILLS), folders


def test_killed_training_resumed_instead_of_restarting(reruns):
    """Killed during its final save, train_lstm's checkpoint was still there: `dvc repro` trained
    no epoch again and saved the same model (byte equality: test_outputs_are_byte_identical)."""
    log = reruns["forced"].stdout
    lstm = log.split("Running stage 'train_lstm'")[1].split("Running stage")[0]
    assert "resume: continuing lstm after epoch" in lstm and "Epoch 1/" not in lstm, lstm


def test_checkout_clean_after_rerun(reruns):
    """No temporary, checkpoint or moved-aside output of the killed stages is left: git sees
    no change, and the git-ignored scratch folder tmp/ holds nothing."""
    assert reruns["git_status"] == ""
    assert reruns["scratch"] == []
