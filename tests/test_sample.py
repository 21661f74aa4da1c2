"""End to end on the real sample bundled in data/sample: the shared built project is a `dvc repro`
of the whole DAG with the project's default data.csv_dir (relative to the project), tiny model
sizes, offline, with nothing beside the project and no NLTK_DATA (conftest.build_project)."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import ROOT


def test_dvc_repro_ran_every_stage_of_the_dag_on_the_bundled_sample(built_project):
    stages = yaml.safe_load((built_project.path / "dvc.yaml").read_text())["stages"]
    assert [name for name in stages if f"Running stage '{name}'" not in built_project.repro.stdout] == []
    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())["data"]
    params = yaml.safe_load((built_project.path / "params.yaml").read_text())["data"]
    assert params == shipped | {"source": "csv"}  # the shipped data params, as `make sample` sets them


@pytest.mark.parametrize("split, rows", [("train", 4800), ("test", 800)])
def test_download_read_every_row_of_the_sample(built_project, split, rows):
    assert f"download: {split}: {rows} row(s) read = {rows} kept + 0 skipped (from csv)" in built_project.repro.stdout


def test_baseline_learns_real_news(built_project):
    baseline = json.loads((built_project.path / "metrics" / "baseline.json").read_text())
    assert baseline["accuracy"] > 0.6  # real news, 4 classes (chance 0.25), 500 TF-IDF features

