"""Stage outputs are all-or-nothing: written to temporary paths in the git-ignored scratch
folder tmp/staging/ and renamed into place only when the stage finishes; a stage that fails
midway leaves the previous outputs untouched and no temporary file behind, and the
temporaries of a killed stage are deleted by the next stage run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import KILL_AT, KILLED, PYTHON, ROOT, copy_project, run, set_params
from newscat.core.errors import PipelineError
from newscat.core.registry import STAGING_DIR
from newscat.core.staging import StagedOutputs


class Boom(Exception):
    pass


def leftovers(root):
    """Temporary or moved-aside paths StagedOutputs may create (siblings, or in tmp/staging)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if not {".git", ".dvc"} & set(p.relative_to(root).parts)
                  and (p.name.startswith(".tmp-") or ".old-" in p.name
                       or STAGING_DIR.parts == p.relative_to(root).parts[:2]))


def snapshot(root, *names):
    """{relative path: bytes} of every file under the given paths."""
    out = {}
    for name in names:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        out.update({str(p.relative_to(root)): p.read_bytes() for p in files})
    return out


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in tmp_path, as a stage runs in the project root (tmp/staging/ is relative to it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- StagedOutputs, unit level

def test_success_moves_every_output_into_place(in_tmp):
    with StagedOutputs() as out:
        a, b = out.path(in_tmp / "a.json"), out.path(in_tmp / "sub" / "b.csv")
        a.write_text("A")
        b.write_text("B")
        assert not (in_tmp / "a.json").exists()  # nothing final before the block ends
    assert (in_tmp / "a.json").read_text() == "A" and (in_tmp / "sub" / "b.csv").read_text() == "B"
    assert leftovers(in_tmp) == []


def test_temporary_path_is_in_the_scratch_folder_with_the_same_suffix(in_tmp):
    """Under tmp/staging/ of the project (same filesystem: the rename is atomic, and git
    ignores it); same suffix (Keras checks it)."""
    with StagedOutputs() as out:
        tmp = out.path(in_tmp / "models" / "m_model.keras")
        assert tmp.is_relative_to(in_tmp / STAGING_DIR) and tmp.name.endswith(".keras")
        tmp.write_text("x")
    assert (in_tmp / "models" / "m_model.keras").read_text() == "x"
    assert not (in_tmp / STAGING_DIR).exists()


KILLED_WHILE_STAGING = """
from newscat.core.staging import StagedOutputs
with StagedOutputs() as out:
    out.path("models/m.keras").write_text("half")
"""


def test_temporaries_of_a_killed_process_are_removed_by_the_next_stage(in_tmp):
    (in_tmp / "stage_m.py").write_text(KILLED_WHILE_STAGING)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    killed = subprocess.run([sys.executable, str(KILL_AT), "staged", "1", "stage_m"], cwd=in_tmp, env=env,
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == KILLED, killed.stderr
    assert not (in_tmp / "models" / "m.keras").exists()
    left = leftovers(in_tmp)
    assert any(name.endswith("m.keras") for name in left), left
    with StagedOutputs() as out:
        out.path(in_tmp / "b.txt").write_text("B")
        assert len(list((in_tmp / STAGING_DIR).iterdir())) == 2  # own folder and its lock only
    assert leftovers(in_tmp) == []


def test_same_output_asked_twice_gives_one_temporary_path(in_tmp):
    with StagedOutputs() as out:
        first, second = out.path(in_tmp / "a.txt"), out.path(in_tmp / "a.txt")
        first.write_text("1")
    assert first == second and leftovers(in_tmp) == []


@pytest.mark.parametrize("fail_after", [0, 1, 2])
def test_failure_keeps_previous_files_and_removes_temporaries(in_tmp, fail_after):
    """Fails after writing 0, 1 or 2 of 3 outputs: all three keep their old contents."""
    finals = [in_tmp / "a.txt", in_tmp / "b.txt", in_tmp / "c.txt"]
    for f in finals:
        f.write_text(f"old {f.name}")
    with pytest.raises(Boom):
        with StagedOutputs() as out:
            for i, final in enumerate(finals):
                if i == fail_after:
                    raise Boom
                out.path(final).write_text("new")
    assert [f.read_text() for f in finals] == [f"old {f.name}" for f in finals]
    assert leftovers(in_tmp) == []


def test_directory_output_replaces_old_directory_whole(in_tmp):
    final = in_tmp / "vectorized"
    final.mkdir()
    (final / "stale.npy").write_text("old")
    (final / "x.npy").write_text("old")
    with StagedOutputs() as out:
        d = out.path(final)
        d.mkdir()
        (d / "x.npy").write_text("new")
    assert sorted(p.name for p in final.iterdir()) == ["x.npy"]  # no stale file survives
    assert (final / "x.npy").read_text() == "new"
    assert leftovers(in_tmp) == []


def test_directory_output_failure_keeps_old_directory(in_tmp):
    final = in_tmp / "vectorized"
    final.mkdir()
    (final / "x.npy").write_text("old")
    with pytest.raises(Boom):
        with StagedOutputs() as out:
            d = out.path(final)
            d.mkdir()
            (d / "x.npy").write_text("half")
            raise Boom
    assert [p.name for p in final.iterdir()] == ["x.npy"] and (final / "x.npy").read_text() == "old"
    assert leftovers(in_tmp) == []


def test_first_output_ever_is_not_created_on_failure(in_tmp):
    with pytest.raises(Boom):
        with StagedOutputs() as out:
            out.path(in_tmp / "new" / "a.txt").write_text("half")
            raise Boom
    assert not (in_tmp / "new" / "a.txt").exists() and leftovers(in_tmp) == []


def test_declared_but_unwritten_output_replaces_nothing(in_tmp):
    """A stage that forgets one output fails loudly and does not commit the others."""
    (in_tmp / "a.txt").write_text("old")
    with pytest.raises(RuntimeError, match="never wrote"):
        with StagedOutputs() as out:
            out.path(in_tmp / "a.txt").write_text("new")
            out.path(in_tmp / "b.txt")  # never written
    assert (in_tmp / "a.txt").read_text() == "old" and not (in_tmp / "b.txt").exists()
    assert leftovers(in_tmp) == []


# ---------------------------------------------------------------- real stages failing midway

@pytest.fixture(scope="module")
def built(built_project, tmp_path_factory):
    """This module's copy of the shared built project (every stage's outputs exist)."""
    return copy_project(built_project.path, tmp_path_factory.mktemp("atomic") / "project")


def clean_killed_at(built, tmp_path, rename: int) -> tuple:
    """A copy of the built project whose clean stage, with params that change its outputs, was
    SIGKILLed before its `rename`th rename out of tmp/staging (tests/kill_at.py); with the
    clean tables before the kill."""
    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    before = snapshot(project, "data/clean")
    set_params(project, {"data": {"val_fraction": 0.25}})
    killed = subprocess.run([PYTHON, str(KILL_AT), "staged", str(rename), "stages.clean"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == KILLED, killed.stderr
    return project, before


def test_stage_killed_before_commit_keeps_previous_outputs(built, tmp_path):
    """Killed once its new tables are all written, before its commit plan: the previous tables
    stay; the next run replaces them and leaves no temporary behind."""
    project, before = clean_killed_at(built, tmp_path, 1)
    assert snapshot(project, "data/clean") == before and leftovers(project)  # its temporaries were there
    run([PYTHON, "-m", "stages.clean"], project)
    assert snapshot(project, "data/clean") != before and leftovers(project) == []


def test_stage_killed_between_two_outputs_is_completed_by_the_next_stage(built, tmp_path):
    """Killed after its first table is in place and before the others: the next stage to start
    in the checkout puts the rest in place, so the tables are the new set, as an uninterrupted
    run writes it, never a mix."""
    project, before = clean_killed_at(built, tmp_path, 3)
    mixed = snapshot(project, "data/clean")
    assert mixed != before and {k for k in mixed if mixed[k] != before[k]} != set(before)  # some new, some old
    run([PYTHON, "-m", "stages.check_params"], project)
    completed = snapshot(project, "data/clean")
    assert leftovers(project) == []
    run([PYTHON, "-m", "stages.clean"], project)
    assert completed == snapshot(project, "data/clean") != before


def test_stage_with_corrupt_input_keeps_previous_outputs(built):
    """A bad row in the source CSV stops download (on_bad_rows: error) before any output."""
    import yaml
    params = yaml.safe_load((built / "params.yaml").read_text())
    csv_dir = built.parent / "corrupt_csv"
    csv_dir.mkdir()
    (csv_dir / "train.csv").write_text('"3","Title","Text"\n"9","bad class","x"\n"1","a","b", "extra"\n')
    (csv_dir / "test.csv").write_text('"1","Title","Text"\n')
    params["data"]["csv_dir"] = str(csv_dir)
    original = (built / "params.yaml").read_text()
    (built / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    before = snapshot(built, "data/raw")
    try:
        result = run([PYTHON, "-m", "stages.download"], built, check=False)
    finally:
        (built / "params.yaml").write_text(original)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "train.csv:2" in result.stderr and "train.csv:3" in result.stderr
    assert snapshot(built, "data/raw") == before
    assert leftovers(built) == []


def test_stage_with_missing_upstream_output_names_it(built):
    """clean without data/raw/train.csv: a clean error naming the file, nothing written."""
    raw = built / "data" / "raw" / "train.csv"
    saved = raw.read_bytes()
    before = snapshot(built, "data/clean")
    raw.unlink()
    try:
        result = run([PYTHON, "-m", "stages.clean"], built, check=False)
    finally:
        raw.write_bytes(saved)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "data/raw/train.csv: not found" in result.stderr
    assert snapshot(built, "data/clean") == before


def test_header_mismatch_is_a_pipeline_error(tmp_path):
    from newscat.core.io import read_table
    (tmp_path / "t.csv").write_text("label,body\n1,x\n")
    with pytest.raises(PipelineError, match=r"t.csv:1: header"):
        read_table(tmp_path / "t.csv", ("label", "text"))


def test_ctrl_c_during_training_is_one_line_and_keeps_previous_outputs(built, tmp_path):
    """SIGINT (Ctrl-C) once training prints its first epoch: exit status 130, one line
    `error: train: interrupted`, no traceback, the previous model and history untouched."""
    import signal

    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    outputs = ("models", "dvclive")
    before = snapshot(project, *outputs)
    # SIGINT as at a terminal, even when pytest itself was started in the background (a
    # non-interactive shell's `&` makes a job, and what it starts, ignore SIGINT).
    process = subprocess.Popen([PYTHON, "-u", "-m", "stages.train", "lstm"], cwd=project, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in process.stdout:  # the observed point: an epoch has started
        if line.startswith("Epoch 1/"):
            process.send_signal(signal.SIGINT)
            break
    process.stdout.read()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 130, stderr
    assert stderr.strip().splitlines()[-1] == "error: train: interrupted" and "Traceback" not in stderr, stderr
    assert snapshot(project, *outputs) == before
