"""A full disk, for real: each stage runs with the project's scratch folder tmp/ (where every
output is written before it is renamed into place, and where training keeps its checkpoint)
on a 4 KiB tmpfs, mounted in a private mount namespace (`unshare`), so no write there fits.
The stage must say in one line that the disk is full and which output it was writing (never
a temporary, never `[Errno None] None: None`, never a traceback) and leave every output as it was."""
from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from conftest import PYTHON, copy_project, project_digests, run

STAGES = {  # command -> its dvc.yaml stage
    "check_params": "check_params", "download": "download", "clean": "clean", "vectorize": "vectorize", "wordclouds": "wordclouds",
    "train_baseline": "train_baseline", "train lstm": "train_lstm", "evaluate": "evaluate",
    "export": "export",
}
CHECKPOINT = "tmp/resume/train_lstm/worker-0.keras"


def private_mount() -> list[str] | None:
    """The unshare prefix that gives this user a mount namespace of its own, if any does."""
    for prefix in (["unshare", "-rm"], ["unshare", "-m"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
                return prefix
        except FileNotFoundError:
            return None
    return None


@pytest.fixture(scope="module")
def project(built_project, tmp_path_factory):
    if private_mount() is None:
        pytest.skip("needs `unshare` with a private mount namespace (util-linux; user namespaces or root)")
    return copy_project(built_project.path, tmp_path_factory.mktemp("disk_full") / "project")


@pytest.mark.parametrize("command", STAGES)
def test_full_disk_names_the_output_and_changes_nothing(project, command):
    before = project_digests(project)
    module, *args = command.split()
    result = run([*private_mount(), "sh", "-c", "mkdir -p tmp && mount -t tmpfs -o size=4k tmpfs tmp && "
                  f"exec {PYTHON} -m stages.{module} {' '.join(args)}"], project, check=False)
    line = re.fullmatch(rf"error: {module}: No space left on device \(free some space and rerun; "
                        r"nothing was replaced\): (\S+)\n", result.stderr)
    assert result.returncode == 1 and line, result.stderr[-3000:]
    declared = yaml.safe_load((project / "dvc.yaml").read_text())["stages"][STAGES[command]]
    outs = [next(iter(o)) if isinstance(o, dict) else o
            for key in ("outs", "metrics", "plots") for o in declared.get(key, [])]
    assert any(line[1] == out or line[1].startswith(f"{out}/") for out in [*outs, CHECKPOINT]), (line[1], outs)
    assert project_digests(project) == before
