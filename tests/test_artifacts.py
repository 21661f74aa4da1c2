"""dvc.yaml's `artifacts:` register the trained models in DVC's model registry:
`dvc artifacts get <repo> <name>` fetches them from a clone through its DVC remote."""
from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import ROOT, copy_project, file_bytes, run

ARTIFACTS = yaml.safe_load((ROOT / "dvc.yaml").read_text())["artifacts"]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def stage_outs() -> set[str]:
    return {next(iter(o)) if isinstance(o, dict) else o for s in STAGES.values() for o in s.get("outs", [])}


@pytest.mark.parametrize("name", sorted(ARTIFACTS))
def test_artifact_is_a_described_model_a_stage_writes(name):
    artifact = ARTIFACTS[name]
    assert artifact["path"] in stage_outs()
    assert artifact["type"] == "model" and artifact["desc"] and artifact["labels"]


@pytest.fixture(scope="module")
def clone(built_project, tmp_path_factory):
    """(project, clone): the trained project with a local DVC remote (pushed, committed, then
    its own cache deleted, so data can come only from the remote), its artifacts registered
    as version v1.0.0 (GTO's Git tags, what `dvc artifacts get` looks up), and a git clone."""
    base = tmp_path_factory.mktemp("artifacts")
    project = copy_project(built_project.path, base / "project")
    run(["dvc", "remote", "add", "-d", "local", str(base / "remote")], project)
    run(["dvc", "push", "train_lstm", "export"], project)
    run(["git", "commit", "-qam", "local DVC remote"], project)
    for name in ("lstm-attention", "lstm-serving"):
        run(["gto", "register", name, "--version", "v1.0.0"], project)
    shutil.rmtree(project / ".dvc" / "cache")
    run(["git", "clone", "-q", str(project), str(base / "clone")], base)
    return project, base / "clone"


@pytest.mark.parametrize("name", ["lstm-attention", "lstm-serving"])  # a file and a directory
def test_artifacts_get_from_a_clone_gives_the_same_bytes(clone, tmp_path, name):
    project, repo = clone
    run(["dvc", "artifacts", "get", str(repo), name, "-o", str(tmp_path / "got")], tmp_path, timeout=300)
    got, want = tmp_path / "got", project / ARTIFACTS[name]["path"]
    if want.is_dir():
        assert file_bytes(got, ("**/*",)) == file_bytes(want, ("**/*",))
    else:
        assert got.read_bytes() == want.read_bytes()
