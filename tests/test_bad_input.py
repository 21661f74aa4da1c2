"""Input you can trust: each unusual-but-realistic input of issue 10 meets the stage that
reads it and gets either a correct result (every row accounted for) or one clear message,
with nothing written and nothing lost. Stages run in-process on small fixture projects."""
from __future__ import annotations

import copy
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, fixture_rows, new_project, project_digests, run_stage_module
from newscat.core.errors import PipelineError

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
GOOD = [(1, "Troops cross border", "Rebels and troops met."), (2, "Coach quits", "The coach left the league."),
        (3, "Shares rise", "Investors cheered profit."), (4, "New chip", "A faster processor ships.")]


def csv_bytes(rows) -> bytes:
    return b"".join(f'"{k}","{t}","{d}"\n'.encode() for k, t, d in rows)


def make_project(tmp_path, files: dict[str, bytes], monkeypatch, **data) -> dict:
    """A folder with params.yaml (csv source) and the given input files; the test runs inside it."""
    (tmp_path / "in").mkdir()
    for name, content in files.items():
        (tmp_path / "in" / name).write_bytes(content)
    params = copy.deepcopy(PARAMS)
    params["data"].update({"source": "csv", "csv_dir": "in", **data})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    shutil.copytree(ROOT / "data/nltk_data", tmp_path / "data/nltk_data")  # the project's stopword list
    monkeypatch.chdir(tmp_path)
    return params


def outputs(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "data").rglob("*")
                  if p.is_file() and "nltk_data" not in p.parts) if (root / "data").exists() else []


# ---------------------------------------------------------------- download: rows accounted for

GOOD_TRAIN = csv_bytes(GOOD * 3)
GOOD_TEST = csv_bytes(GOOD)
UNQUOTED_TRAIN = b"".join(f"{k},{t},{d}\n".encode() for k, t, d in GOOD * 3)  # no quote closes an open one

# input -> (train file bytes, on_bad_rows, rows kept, rows skipped, skipped row locations)
READ_CASES = {
    "bom_error_mode": (b"\xef\xbb\xbf" + GOOD_TRAIN, "error", 12, 0, []),
    "bom_skip_mode": (b"\xef\xbb\xbf" + GOOD_TRAIN, "skip", 12, 0, []),
    # the open quote closes at the next line's first quote: both lines are one bad record, reported as such
    "unterminated_quote_skip": (csv_bytes(GOOD[:1]) + b'"2","unterminated,desc\n' + csv_bytes(GOOD[2:]) * 2,
                                "skip", 4, 1, ["in/train.csv:2-3"]),
    "unterminated_quote_to_eof": (GOOD_TRAIN + b'"2","never closed,x\n' + UNQUOTED_TRAIN, "skip", 12, 1,
                                  ["in/train.csv:13-25"]),
    "cr_only_line_endings": (GOOD_TRAIN.replace(b"\n", b"\r"), "skip", 12, 0, []),
    "crlf_line_endings": (GOOD_TRAIN.replace(b"\n", b"\r\n"), "error", 12, 0, []),
    "gzip_bytes_named_csv": (gzip.compress(GOOD_TRAIN), "skip", 12, 0, []),
    "bad_class_skip": (GOOD_TRAIN + b'"9","t","d"\n', "skip", 12, 1, ["in/train.csv:13"]),
}


@pytest.mark.parametrize("case", READ_CASES)
def test_download_keeps_or_reports_every_row(tmp_path, monkeypatch, case):
    content, mode, kept, skipped, where = READ_CASES[case]
    make_project(tmp_path, {"train.csv": content, "test.csv": GOOD_TEST}, monkeypatch, on_bad_rows=mode)
    run_stage_module("download")
    report = json.loads((tmp_path / "data/raw/report.json").read_text())
    assert report["rows"]["train"] == {"read": kept + skipped, "kept": kept, "skipped": skipped}
    assert report["bad_rows_skipped"] == skipped
    assert [s["where"] for s in report["skipped_rows_first"]] == where
    assert all(s["split"] == "train" for s in report["skipped_rows_first"])
    table = (tmp_path / "data/raw/train.csv").read_text().splitlines()
    assert len(table) == 1 + kept and table[1].startswith(("0,", "1,", "2,", "3,"))


def test_download_report_lists_twenty_skipped_rows_and_counts_all(tmp_path, monkeypatch):
    make_project(tmp_path, {"train.csv": GOOD_TRAIN + b'"9","t","d"\n' * 25, "test.csv": GOOD_TEST},
                 monkeypatch, on_bad_rows="skip")
    run_stage_module("download")
    report = json.loads((tmp_path / "data/raw/report.json").read_text())
    assert report["bad_rows_skipped"] == 25 and len(report["skipped_rows_first"]) == 20
    assert report["skipped_rows_first"][0] == {"split": "train", "where": "in/train.csv:13",
                                               "reason": "class '9' is not one of 1, 2, 3, 4"}


# input -> (files, on_bad_rows, expected message parts)
REFUSED_CASES = {
    "empty_train": ({"train.csv": b"", "test.csv": GOOD_TEST}, "error",
                    ["the train split (in/train.csv) has no usable row: 0 row(s) read"]),
    "empty_test": ({"train.csv": GOOD_TRAIN, "test.csv": b""}, "error",
                   ["the test split (in/test.csv) has no usable row: 0 row(s) read"]),
    "utf16_train_skip_mode": ({"train.csv": GOOD_TRAIN.decode().encode("utf-16"), "test.csv": GOOD_TEST},
                              "skip", ["the train split (in/train.csv) has no usable row", "in/train.csv:1: undecodable"]),
    "csv_and_gz_both": ({"train.csv": GOOD_TRAIN, "train.csv.gz": gzip.compress(GOOD_TRAIN), "test.csv": GOOD_TEST},
                        "error", ["both in/train.csv and in/train.csv.gz exist", "ambiguous"]),
    "unterminated_quote_error_mode": ({"train.csv": GOOD_TRAIN + b'"2","x,y\n' + UNQUOTED_TRAIN, "test.csv": GOOD_TEST},
                                      "error", ["in/train.csv:13-25: malformed CSV (unexpected end of data)",
                                                "one record over lines 13-25", "data.on_bad_rows: skip"]),
    "one_class_test": ({"train.csv": GOOD_TRAIN, "test.csv": csv_bytes(GOOD[:1] * 5)}, "error",
                       ["in/test.csv: the test split has no row of class(es) Sports, Business, Sci/Tech",
                        "(test rows per class: World 5, Sports 0, Business 0, Sci/Tech 0)",
                        "valid: a test split with every class"]),
}


@pytest.mark.parametrize("case", REFUSED_CASES)
def test_download_refuses_with_one_message_and_writes_nothing(tmp_path, monkeypatch, capsys, case):
    files, mode, parts = REFUSED_CASES[case]
    make_project(tmp_path, files, monkeypatch, on_bad_rows=mode)
    with pytest.raises(SystemExit) as exit_info:
        run_stage_module("download")
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for part in parts:
        assert part in err
    assert outputs(tmp_path) == []


# ---------------------------------------------------------------- clean: degenerate splits, leakage

def split_of(rows):
    """(labels 0..3, cleaned-like texts) from (class 1..4, title, description) rows."""
    return [k - 1 for k, _, _ in rows], [f"{t} {d}".lower() for _, t, d in rows]


ONE_CLASS = [(1, f"world {i}", "story") for i in range(20)]
SPORTS_ONCE = fixture_rows(10, seed=3)[:-1]  # drop rows until Sports has one left
SPORTS_ONCE = [r for r in SPORTS_ONCE if r[0] != 2] + [(2, "lone coach", "quits")]

# input -> (train rows, test rows, val_fraction, message parts)
CLEAN_REFUSED = {
    "one_class_only": (ONE_CLASS, GOOD, 0.1, ["class(es) Sports, Business, Sci/Tech missing from train",
                                                "World 20, Sports 0", "valid: every class 1-4"]),
    "class_with_one_row": (SPORTS_ONCE, GOOD, 0.1, ["class(es) Sports with fewer than 2 distinct train texts",
                                                     "Sports 1"]),
    "val_fraction_too_small": (fixture_rows(30, seed=4), GOOD, 0.001,
                               ["data.val_fraction = 0.001 gives no validation row", "World 30",
                                "valid: data.val_fraction >= 0.0167"]),
    "empty_test": (fixture_rows(30, seed=4), [], 0.1, ["the test split has no row"]),
    "empty_train": ([], GOOD, 0.1, ["no train row left (0 read"]),
}


@pytest.mark.parametrize("case", CLEAN_REFUSED)
def test_clean_refuses_degenerate_splits_with_counts_per_class(case):
    from newscat.data.splits import build_splits

    train, test, val_fraction, parts = CLEAN_REFUSED[case]
    with pytest.raises(PipelineError) as info:
        build_splits(split_of(train), split_of(test), val_fraction, seed=0, drop_test_overlap=True)
    for part in parts:
        assert part in str(info.value)


@pytest.mark.parametrize("drop", [True, False])
def test_duplicates_counted_kept_on_one_side_and_test_overlap_dropped(drop):
    from newscat.data.splits import build_splits

    rows = fixture_rows(30, seed=5)
    train = rows + rows[:10] + [(1, "same words", "here"), (2, "same words", "here")]  # 12 repeats
    test = rows[20:25] + GOOD
    splits, report = build_splits(split_of(train), split_of(test), 0.2, seed=0, drop_test_overlap=drop)
    dup = report["duplicates"]
    overlap = set(split_of(rows[20:25])[1])
    assert dup["train_rows_repeating_a_train_text"] == 11 and dup["train_texts_with_conflicting_labels"] == 1
    assert dup["test_rows_also_in_train"] == 5 and dup["train_rows_also_in_test"] == 5
    assert dup["train_rows_dropped_as_test_overlap"] == (5 if drop else 0)
    train_texts, val_texts = set(splits["train"][1]), set(splits["val"][1])
    assert not train_texts & val_texts  # every duplicate on one side
    assert bool(overlap & (train_texts | val_texts)) is not drop
    assert len(splits["train"][0]) + len(splits["val"][0]) == len(train) - (5 if drop else 0)
    assert splits["test"] == split_of(test)  # the test split is never changed


def test_clean_stage_refusal_writes_nothing(tmp_path, monkeypatch, capsys):
    make_project(tmp_path, {}, monkeypatch)
    (tmp_path / "data/raw").mkdir(parents=True)
    for split, rows in (("train", ONE_CLASS), ("test", GOOD)):
        lines = ["label,title,description"] + [f"{k - 1},{t},{d}" for k, t, d in rows]
        (tmp_path / f"data/raw/{split}.csv").write_text("\n".join(lines) + "\n")
    before = outputs(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        run_stage_module("clean")
    assert exit_info.value.code == 1 and "missing from train" in capsys.readouterr().err
    assert outputs(tmp_path) == before and not (tmp_path / "data/clean").exists()


# ---------------------------------------------------------------- params

@pytest.mark.parametrize("key, value, ok", [
    ("data.seed", 2**32, False), ("train.seed", 2**32, False), ("wordclouds.seed", -1, False),
    ("data.seed", 2**32 - 1, True), ("train.learning_rate", float("inf"), False),
    ("data.drop_test_overlap", "yes", False), ("data.drop_test_overlap", False, True),
])
def test_values_that_would_crash_later_are_refused_up_front(key, value, ok):
    from newscat.core.params import ParamsError, parse_params

    raw = copy.deepcopy(PARAMS)
    group, name = key.split(".")
    raw[group][name] = value
    if ok:
        assert getattr(getattr(parse_params(raw), group), name) == value
        return
    with pytest.raises(ParamsError) as info:
        parse_params(raw)
    assert f"{key} = {value!r} is invalid: Input should be " in str(info.value)


# ---------------------------------------------------------------- a typo in params.yaml, everything up to date

def dvc(project, *args, program="dvc", timeout=300):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com")
    return subprocess.run([program, *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def data_project(tmp_path_factory):
    """A fixture project whose dvc.yaml keeps check_params and the data stages (no TensorFlow), built."""
    project = new_project(tmp_path_factory.mktemp("typo"))
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
    pipeline["stages"] = {k: v for k, v in pipeline["stages"].items() if k in ("check_params", "download", "clean")}
    pipeline.pop("plots", None)
    (project / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    assert dvc(project, "repro").returncode == 0
    assert dvc(project, "add", "-A", program="git").returncode == 0  # dvc exp run starts from a commit
    assert dvc(project, "commit", "-qm", "built", program="git").returncode == 0
    return project


def test_untouched_repro_runs_no_stage(data_project):
    result = dvc(data_project, "repro")
    assert result.returncode == 0 and "Running stage" not in result.stdout


def status(project) -> tuple[str, str, dict]:
    """What a user would compare: `git status`, `dvc status` and every byte of the outputs."""
    git = dvc(project, "status", "--porcelain", "--untracked-files=all", program="git").stdout
    return git, dvc(project, "status").stdout, project_digests(project)


def without_key(text: str, key: str) -> str:
    return re.sub(rf"^  {key}:.*\n", "", text, flags=re.M)


@pytest.mark.parametrize("command, edit, named", [
    (("repro",), lambda t: t.replace("  units:", "  unit:"), "model.unit: unknown key (did you mean 'model.units'?)"),
    (("repro", "clean"), lambda t: t.replace("  units:", "  unit:"), "model.units: missing"),
    (("repro", "download"), lambda t: without_key(t, "cell"), "model.cell: missing"),
    (("exp", "run"), lambda t: t.replace("dropout: 0.1", "dropout: 1.5"), "model.dropout = 1.5 is invalid: Input should be less than 1"),
    (("exp", "run", "-S", "model.unit=3"), None, "Could not override 'model.unit'"),  # DVC's own refusal
    (("exp", "run", "-S", "+model.unit=3"), None, "model.unit: unknown key (did you mean 'model.units'?)"),
], ids=["repro-typo", "repro-stage-typo", "repro-stage-missing-key", "exp-run-bad-value", "exp-run-S-typo",
        "exp-run-S-new-key"])
def test_invalid_params_stop_every_command_before_any_stage(data_project, command, edit, named):
    """A typo, a missing key or a bad value stops `dvc repro`, `dvc repro <stage>` and `dvc exp
    run` (-S too) at check_params, the first stage, before DVC removes any output: git status,
    dvc status and every output byte are what they were before the command."""
    original = (data_project / "params.yaml").read_text()
    if edit:
        (data_project / "params.yaml").write_text(edit(original))
    before = status(data_project)
    try:
        result = dvc(data_project, *command)
        after = status(data_project)
    finally:
        (data_project / "params.yaml").write_text(original)
    assert result.returncode != 0
    assert named in result.stdout + result.stderr
    assert set(re.findall(r"Running stage '(\w+)'", result.stdout)) <= {"check_params"}
    if "+model.unit=3" in command:  # DVC itself writes -S into the workspace's params.yaml, as for any run
        assert after[0] == " M params.yaml\n" and "changed outs" not in after[1]
        after = (before[0], before[1], {**after[2], "params.yaml": before[2]["params.yaml"]})
    assert after == before
    assert "Running stage" not in dvc(data_project, "repro").stdout  # fixed: nothing to do again


def test_valid_params_change_reruns_only_the_stages_that_read_it(data_project):
    """check_params reruns on any change of params.yaml, but its output keeps its bytes."""
    original = (data_project / "params.yaml").read_text()
    (data_project / "params.yaml").write_text(original.replace("val_fraction: 0.1", "val_fraction: 0.2"))
    try:
        result = dvc(data_project, "repro")
    finally:
        (data_project / "params.yaml").write_text(original)
        dvc(data_project, "checkout", "--", "dvc.lock", program="git")
        dvc(data_project, "checkout", "-f")
    assert result.returncode == 0, result.stderr
    assert set(re.findall(r"Running stage '(\w+)'", result.stdout)) == {"check_params", "clean"}


# ---------------------------------------------------------------- OSError: one line, nothing half-written

def test_folder_where_output_goes_is_a_file_gives_one_line(tmp_path, monkeypatch):
    """A path that cannot be written (here `data` is a file, as a read-only folder would be for a
    user): exit status 1, one line naming the stage and the path, no traceback."""
    make_project(tmp_path, {"train.csv": GOOD_TRAIN, "test.csv": GOOD_TEST}, monkeypatch)
    shutil.rmtree(tmp_path / "data")  # the stopword list is not read by download
    (tmp_path / "data").write_text("not a folder")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(ROOT / "stages/download.py")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert re.fullmatch(r"error: download: [^\n]+: data/raw\n", result.stderr), result.stderr


def test_batch_larger_than_the_training_rows_is_refused_naming_the_key():
    import numpy as np

    from newscat.core.params import parse_params, read_yaml
    from newscat.train.fit import fit_arrays

    raw = read_yaml((ROOT / "params.yaml").read_text())
    raw["train"]["batch_size"] = 64
    ids, labels = np.ones((10, 5), np.int32), np.arange(10) % 4
    with pytest.raises(PipelineError, match=r"train\.batch_size = 64 is more than the 10 training rows; "
                                            r"valid: an integer in \[1, 10\]"):
        fit_arrays("gru", parse_params(raw), (ids, labels), (ids, labels), vocab_size=7)
