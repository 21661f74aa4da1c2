"""The tfds source, through tfds.testing.mock_data (no network)."""

import socket

import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from newscat.core.errors import PipelineError  # noqa: E402
from newscat.data.raw import load_tfds_splits  # noqa: E402


class _Reachable:
    def close(self):
        pass


def test_tfds_rows_keep_title_and_description(monkeypatch):
    # mock_data replaces TFDS's download and data; the fast offline probe must see a network.
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: _Reachable())
    with tfds.testing.mock_data(num_examples=12):
        splits, problems = load_tfds_splits()
    assert set(splits) == {"train", "test"}
    for split, rows in splits.items():
        assert len(rows) + len(problems.items) >= 12
        counts = problems.counts[split]  # every example accounted for
        assert counts["read"] == counts["kept"] + counts["skipped"] and counts["kept"] == len(rows)
        for label, title, description in rows:
            assert label in (0, 1, 2, 3)
            assert isinstance(title, str) and isinstance(description, str)
            assert title.strip() or description.strip()


def test_missing_manual_archive_says_how_to_run_offline(tmp_path):
    with pytest.raises(PipelineError, match="ag_news_csv.tar.gz.*data.source: csv"):
        load_tfds_splits(manual_dir=str(tmp_path), data_dir=str(tmp_path / "tfds"))


def test_unreachable_network_fails_fast_with_offline_help(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(PipelineError, match="unreachable.*make sample.*data.source: csv.*data.manual_dir"):
        load_tfds_splits(data_dir=str(tmp_path / "tfds"))
