"""Queued experiments run in a copy of the project under .dvc/tmp/exps/: a relative
data.csv_dir (read from the project root) still finds the CSVs there, and the CSV files are a
dependency of download, so replacing them reruns it."""
from __future__ import annotations

import json
import shutil
import time

import pytest

from conftest import new_project, run, set_params

QUEUE_TIMEOUT_S = 600
STATUS_EVERY_S = 10


def project_reading_csvs_inside(tmp_path):
    """A fixture project whose CSVs live in the repo at data/fixture, named by a relative path."""
    project = new_project(tmp_path)
    shutil.copytree(tmp_path / "ag_news_fixture", project / "data" / "fixture")
    set_params(project, {"data": {"csv_dir": "data/fixture"}})
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "CSVs inside the project"], project)
    return project


def queue_states(project) -> dict[str, str]:
    """{experiment name: state} of every queued experiment, from `dvc queue status`."""
    lines = run(["dvc", "queue", "status"], project).stdout.splitlines()
    rows = [line.split() for line in lines[1:] if line.strip() and not line.startswith("Worker")]
    return {row[1]: row[-1] for row in rows}


def test_queued_experiment_succeeds_with_a_relative_csv_dir(tmp_path):
    project = project_reading_csvs_inside(tmp_path)
    run(["dvc", "exp", "run", "--queue", "-S", "data.val_fraction=0.2", "clean"], project)
    run(["dvc", "queue", "start"], project)
    # Wait for the experiment's git ref (a cheap `git` call) and ask DVC every STATUS_EVERY_S
    # seconds only (each `dvc` call costs a second of CPU), so a failed run is still seen early.
    start = last_status = time.monotonic()
    states = queue_states(project)
    while {"Queued", "Running"} & set(states.values()):
        if time.monotonic() - start > QUEUE_TIMEOUT_S:
            pytest.fail(f"queue not done after {QUEUE_TIMEOUT_S} s: {states}")
        time.sleep(1)
        finished = run(["git", "for-each-ref", "refs/exps"], project).stdout.strip()
        if finished or time.monotonic() - last_status > STATUS_EVERY_S:
            states, last_status = queue_states(project), time.monotonic()
    logs = "\n".join(run(["dvc", "queue", "logs", name], project, check=False).stdout for name in states)
    assert list(states.values()) == ["Success"], logs


def test_replacing_a_csv_file_makes_download_out_of_date(tmp_path):
    project = project_reading_csvs_inside(tmp_path)
    run(["dvc", "repro", "download"], project)
    assert json.loads(run(["dvc", "status", "--json", "download"], project).stdout) == {}
    csv = project / "data" / "fixture" / "test.csv"
    csv.write_text(csv.read_text().replace("Sports", "Sport", 1) + '"2","Cup final","Striker scores"\n')
    assert "download" in json.loads(run(["dvc", "status", "--json", "download"], project).stdout)
