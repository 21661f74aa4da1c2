"""The AG News CSV reader: good rows parsed, bad rows reported as file:line and reason."""

import gzip

import pytest

from newscat.core.errors import PipelineError
from newscat.data.raw import Problems, find_split_file, load_csv_splits, read_ag_news_csv
from tests.conftest import write_ag_news_csv

GOOD = '"3","Oil prices up","Crude rose #36;2 on Monday."\n'


def read(tmp_path, content: bytes, name="train.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    problems = Problems()
    return read_ag_news_csv(path, problems), problems


def test_good_rows_are_parsed_with_zero_based_labels(tmp_path):
    rows, problems = read(tmp_path, (GOOD + '"1","Title","Desc, with ""quotes"""\n').encode())
    assert rows == [(2, "Oil prices up", "Crude rose #36;2 on Monday."), (0, "Title", 'Desc, with "quotes"')]
    assert problems.items == []


@pytest.mark.parametrize("bad_line, reason", [
    ('"3","only two fields"\n', "expected 3 fields"),
    ('"3","a","b","c"\n', "expected 3 fields"),
    ('"5","title","description"\n', "is not one of 1, 2, 3, 4"),
    ('"x","title","description"\n', "is not one of 1, 2, 3, 4"),
    ('"2","  ",""\n', "empty title and description"),
    ('"2","bad "quote" here","d"\n', "malformed CSV"),
])
def test_bad_row_is_reported_with_file_and_line(tmp_path, bad_line, reason):
    rows, problems = read(tmp_path, (GOOD + bad_line + GOOD).encode())
    assert len(rows) == 2
    assert len(problems.items) == 1
    assert problems.items[0].startswith(f"{tmp_path / 'train.csv'}:2: ")
    assert reason in problems.items[0]


@pytest.mark.parametrize("first_line, hinted", [('"class","title","description"\n', True), ('"9","t","d"\n', False)])
def test_a_header_row_is_named_as_one(tmp_path, first_line, hinted):
    rows, problems = read(tmp_path, (first_line + GOOD).encode())
    assert len(rows) == 1 and problems.items[0].startswith(f"{tmp_path / 'train.csv'}:1: class ")
    assert ("a header row? the ag_news_csv layout has none" in problems.items[0]) == hinted


def test_undecodable_bytes_are_reported(tmp_path):
    rows, problems = read(tmp_path, GOOD.encode() + b'"1","caf\xe9","x"\n')
    assert len(rows) == 1
    assert problems.items == [f"{tmp_path / 'train.csv'}:2: undecodable bytes (not UTF-8)"]


def test_summary_lists_twenty_then_counts(tmp_path):
    rows, problems = read(tmp_path, ('"9","t","d"\n' * 25).encode())
    summary = problems.summary()
    assert rows == []
    assert summary.startswith("25 bad row(s):")
    assert summary.count("is not one of") == 20
    assert summary.rstrip().endswith("... and 5 more")


def test_gzip_is_read(tmp_path):
    path = write_ag_news_csv(tmp_path / "test.csv.gz", [(4, "Chip", "Faster chips")], gz=True)
    assert read_ag_news_csv(path, Problems()) == [(3, "Chip", "Faster chips")]


def test_corrupt_gzip_names_the_file(tmp_path):
    data = gzip.compress(GOOD.encode() * 200)
    path = tmp_path / "train.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PipelineError, match=r"train\.csv\.gz: corrupt gzip"):
        read_ag_news_csv(path, Problems())


def test_missing_split_file_is_named(tmp_path):
    (tmp_path / "train.csv").write_text(GOOD)
    with pytest.raises(PipelineError, match=r"has no test\.csv or test\.csv\.gz"):
        load_csv_splits(tmp_path)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(PipelineError, match="does not exist"):
        find_split_file(tmp_path / "nope", "train")


def test_csv_dir_that_is_a_file_is_named_as_a_file(tmp_path):
    (tmp_path / "train.csv").write_text(GOOD)
    with pytest.raises(PipelineError, match=r"train\.csv is a file; valid: a folder holding test\.csv"):
        find_split_file(tmp_path / "train.csv", "test")


def test_dangling_symlink_is_named_with_its_target(tmp_path):
    (tmp_path / "train.csv").write_text(GOOD)
    (tmp_path / "test.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(PipelineError, match=r"test\.csv is a symbolic link to .*gone\.csv, which does not exist"):
        load_csv_splits(tmp_path)
