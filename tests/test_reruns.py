"""Reruns are identical: `dvc repro --force` on the same machine, same params and data, writes
byte-identical outputs (metrics, DVCLive history, models, figures, data), so dvc.lock does not
change and nothing downstream of an unchanged stage ever reruns. The first run is the shared
built project; the forced rerun happens in a copy of it (so outputs may not depend on where
the project lives either)."""
from __future__ import annotations

import zipfile

import pytest
import yaml

from conftest import copy_project, file_bytes, run

GROUPS = {
    "metrics": ("metrics/*.json",),
    "dvclive": ("dvclive/**/*",),
    "confusion_csv": ("eval/*.csv",),
    "figures": ("Figures/*.png",),
    "model_weights": ("models/*.weights.h5",),
    "keras_models": ("models/*.keras",),
    "baseline_model": ("models/baseline.joblib",),
    "vocabulary": ("models/vocab.txt",),
    "data": ("data/raw/*", "data/clean/*", "data/vectorized/*"),
}
ALL = tuple(p for patterns in GROUPS.values() for p in patterns)


@pytest.fixture(scope="module")
def reruns(built_project, tmp_path_factory):
    first, first_lock = file_bytes(built_project.path, ALL), (built_project.path / "dvc.lock").read_text()
    project = copy_project(built_project.path, tmp_path_factory.mktemp("reruns") / "project")
    forced = run(["dvc", "repro", "--force"], project)
    second, second_lock = file_bytes(project, ALL), (project / "dvc.lock").read_text()
    status = run(["dvc", "status"], project)
    return {"project": project, "first": first, "second": second, "forced": forced,
            "locks": (first_lock, second_lock), "status": status}


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
    import numpy as np
    import keras

    import newscat.model  # noqa: F401  (registers the attention layer)

    project = reruns["project"]
    model = keras.models.load_model(project / "models" / "lstm_attention_model.keras")
    reference = newscat.model.build_model("lstm", model.get_layer("embedding").input_dim, 8, 8, 0.1)
    reference.load_weights(project / "models" / "lstm_attention.weights.h5")
    x = np.load(project / "data" / "vectorized" / "x_val.npy")
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert model.optimizer.iterations.numpy() > 0  # the optimizer state came back too


def _match(name: str, pattern: str) -> bool:
    from fnmatch import fnmatch
    return fnmatch(name, pattern) or (pattern.endswith("/**/*") and name.startswith(pattern[:-4]))
