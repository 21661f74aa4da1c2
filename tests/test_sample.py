"""End to end on the real sample bundled in data/sample: `dvc repro` with the project's default
data.csv_dir (tiny model sizes, so it runs in a minute or two), offline, with nothing beside
the project."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import new_project, set_params

REPRO_TIMEOUT_S = 600


def test_dvc_repro_runs_the_whole_dag_on_the_bundled_sample(tmp_path):
    project = new_project(tmp_path)
    set_params(project, {"data": {"csv_dir": "data/sample"}})  # the default, relative to the project
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("NLTK_DATA", None)
    result = subprocess.run(["dvc", "repro"], cwd=project, env=env, capture_output=True, text=True,
                            timeout=REPRO_TIMEOUT_S)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert all(f"Running stage '{name}'" in result.stdout for name in stages)
    assert "download: train: 4800 row(s) read = 4800 kept + 0 skipped (from csv)" in result.stdout
    assert "download: test: 800 row(s) read = 800 kept + 0 skipped (from csv)" in result.stdout
    baseline = json.loads((project / "metrics" / "baseline.json").read_text())
    assert baseline["accuracy"] > 0.6  # real news, 4 classes (chance 0.25), 500 TF-IDF features
