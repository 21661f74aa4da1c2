"""Stage outputs are all-or-nothing: written to temporary sibling paths and renamed into place
only when the stage finishes; a stage that fails midway leaves the previous outputs untouched
and no temporary file behind."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import PYTHON, ROOT, new_project, run
from newscat.errors import PipelineError
from newscat.io import StagedOutputs


class Boom(Exception):
    pass


def leftovers(root):
    """Temporary or moved-aside paths StagedOutputs may create."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if not {".git", ".dvc"} & set(p.relative_to(root).parts)
                  and (p.name.startswith(".tmp-") or ".old-" in p.name))


def snapshot(root, *names):
    """{relative path: bytes} of every file under the given paths."""
    out = {}
    for name in names:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        out.update({str(p.relative_to(root)): p.read_bytes() for p in files})
    return out


# ---------------------------------------------------------------- StagedOutputs, unit level

def test_success_moves_every_output_into_place(tmp_path):
    with StagedOutputs() as out:
        a, b = out.path(tmp_path / "a.json"), out.path(tmp_path / "sub" / "b.csv")
        a.write_text("A")
        b.write_text("B")
        assert not (tmp_path / "a.json").exists()  # nothing final before the block ends
    assert (tmp_path / "a.json").read_text() == "A" and (tmp_path / "sub" / "b.csv").read_text() == "B"
    assert leftovers(tmp_path) == []


def test_temporary_path_is_a_sibling_with_the_same_suffix(tmp_path):
    """Same folder (so the rename is atomic, same filesystem); same suffix (Keras checks it)."""
    with StagedOutputs() as out:
        tmp = out.path(tmp_path / "models" / "m_model.keras")
        assert tmp.parent == tmp_path / "models" and tmp.name.endswith(".keras")
        assert tmp != tmp_path / "models" / "m_model.keras"
        tmp.write_text("x")


def test_same_output_asked_twice_gives_one_temporary_path(tmp_path):
    with StagedOutputs() as out:
        first, second = out.path(tmp_path / "a.txt"), out.path(tmp_path / "a.txt")
        first.write_text("1")
    assert first == second and leftovers(tmp_path) == []


@pytest.mark.parametrize("fail_after", [0, 1, 2])
def test_failure_keeps_previous_files_and_removes_temporaries(tmp_path, fail_after):
    """Fails after writing 0, 1 or 2 of 3 outputs: all three keep their old contents."""
    finals = [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"]
    for f in finals:
        f.write_text(f"old {f.name}")
    with pytest.raises(Boom):
        with StagedOutputs() as out:
            for i, final in enumerate(finals):
                if i == fail_after:
                    raise Boom
                out.path(final).write_text("new")
    assert [f.read_text() for f in finals] == [f"old {f.name}" for f in finals]
    assert leftovers(tmp_path) == []


def test_directory_output_replaces_old_directory_whole(tmp_path):
    final = tmp_path / "vectorized"
    final.mkdir()
    (final / "stale.npy").write_text("old")
    (final / "x.npy").write_text("old")
    with StagedOutputs() as out:
        d = out.path(final)
        d.mkdir()
        (d / "x.npy").write_text("new")
    assert sorted(p.name for p in final.iterdir()) == ["x.npy"]  # no stale file survives
    assert (final / "x.npy").read_text() == "new"
    assert leftovers(tmp_path) == []


def test_directory_output_failure_keeps_old_directory(tmp_path):
    final = tmp_path / "vectorized"
    final.mkdir()
    (final / "x.npy").write_text("old")
    with pytest.raises(Boom):
        with StagedOutputs() as out:
            d = out.path(final)
            d.mkdir()
            (d / "x.npy").write_text("half")
            raise Boom
    assert [p.name for p in final.iterdir()] == ["x.npy"] and (final / "x.npy").read_text() == "old"
    assert leftovers(tmp_path) == []


def test_first_output_ever_is_not_created_on_failure(tmp_path):
    with pytest.raises(Boom):
        with StagedOutputs() as out:
            out.path(tmp_path / "new" / "a.txt").write_text("half")
            raise Boom
    assert not (tmp_path / "new" / "a.txt").exists() and leftovers(tmp_path) == []


def test_declared_but_unwritten_output_replaces_nothing(tmp_path):
    """A stage that forgets one output fails loudly and does not commit the others."""
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(RuntimeError, match="never wrote"):
        with StagedOutputs() as out:
            out.path(tmp_path / "a.txt").write_text("new")
            out.path(tmp_path / "b.txt")  # never written
    assert (tmp_path / "a.txt").read_text() == "old" and not (tmp_path / "b.txt").exists()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- real stages failing midway

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A project whose download, clean and vectorize outputs exist."""
    project = new_project(tmp_path_factory.mktemp("atomic"))
    run(["dvc", "repro", "vectorize"], project)
    return project


def load_stage(name):
    """stages/<name>.py as a module (its main() is called in-process, so it can be patched)."""
    sys.path.insert(0, str(ROOT / "stages"))
    try:
        spec = importlib.util.spec_from_file_location(f"stage_{name}", ROOT / "stages" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "stages"))
    return module


def fail_on_call(monkeypatch, module, name):
    """Make module.<name> raise Boom when the stage calls it."""
    def boom(*args, **kwargs):
        raise Boom(name)
    monkeypatch.setattr(module, name, boom)


@pytest.mark.parametrize("stage, fail_at, outputs", [
    # clean: the three tables are written, then the report fails
    ("clean", "write_json", ["data/clean"]),
    # vectorize: data/vectorized (a directory) is complete, then the vocabulary fails
    ("vectorize", "save_vocabulary", ["data/vectorized", "models/vocab.txt", "metrics/data.json"]),
    # download: both raw tables are written, then the report fails
    ("download", "write_json", ["data/raw"]),
])
def test_stage_failing_after_first_outputs_keeps_previous_outputs(built, monkeypatch, stage, fail_at, outputs):
    before = snapshot(built, *outputs)
    assert before
    module = load_stage(stage)
    fail_on_call(monkeypatch, module, fail_at)
    monkeypatch.chdir(built)
    with pytest.raises(Boom):
        module.main()
    assert snapshot(built, *outputs) == before
    assert leftovers(built) == []


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
        result = run([PYTHON, "stages/download.py"], built, check=False)
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
        result = run([PYTHON, "stages/clean.py"], built, check=False)
    finally:
        raw.write_bytes(saved)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "data/raw/train.csv: not found" in result.stderr
    assert snapshot(built, "data/clean") == before


def test_header_mismatch_is_a_pipeline_error(tmp_path):
    from newscat.io import read_table
    (tmp_path / "t.csv").write_text("label,body\n1,x\n")
    with pytest.raises(PipelineError, match=r"t.csv:1: header"):
        read_table(tmp_path / "t.csv", ("label", "text"))
