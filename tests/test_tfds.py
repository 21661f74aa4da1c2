"""The tfds source (data.source: tfds, the default), read through TFDS's real ag_news_subset
builder: the test writes a small ag_news_csv.tar.gz with known rows, and the download stage
reads it through data.manual_dir, as a user without Google Drive access would.

TFDS validates a manually downloaded archive against the checksum registered for the
builder's URL (its checksums.tsv, in site-packages): a test-written archive cannot match it,
and `register_checksums=True` would write into the installed package. So the test registers
its own archive's size and SHA-256 for that URL on the builder class (what that file would
hold); everything else is TFDS's code: manual_dir lookup, checksum validation, extraction,
the builder's CSV reader and label shift, TFRecord writing and reading.
"""

import csv
import io
import socket
import tarfile

import pytest
import yaml

tfds = pytest.importorskip("tensorflow_datasets")

from conftest import ROOT, run_stage_module  # noqa: E402
from newscat.core.errors import PipelineError  # noqa: E402
from newscat.data.raw import load_tfds_splits  # noqa: E402

# label (1-4, as in AG News' CSVs), title, description: commas, quotes, a backslash escape as the
# original files have them, non-ASCII, every class in both splits, title != description.
TRAIN_ROWS = [
    ("3", "Wall St. Bears Claw Back Into the Black (Reuters)", "Reuters - Short-sellers, Wall Street's dwindling\\band"),
    ("1", 'Iraq says "no" to talks, again', "BAGHDAD: officials said, on Monday, that talks had ended"),
    ("2", "Zidane's late goal", "Real Madrid won 2-1 in Zürich; fans sang \"olé\""),
    ("4", "New chip, twice as fast", "Intel's 3 GHz part — cheaper, cooler, ready in 2005"),
    ("2", "Cup final tonight", "Kick-off at 8pm"),
]
TEST_ROWS = [
    ("4", "Linux kernel 2.6.9 out", "Developers released the kernel, with fixes"),
    ("1", "Élections en France", "Le vote a eu lieu dimanche, dit-on"),
    ("3", "Oil hits $50", "Crude prices rose, then fell"),
    ("2", "Phelps wins gold", "Swimmer takes his sixth"),
]


def archive(folder, train=TRAIN_ROWS, test=TEST_ROWS):
    """ag_news_csv.tar.gz as distributed: ag_news_csv/{train,test}.csv, every field quoted."""
    path = folder / "ag_news_csv.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, rows in (("train.csv", train), ("test.csv", test)):
            text = io.StringIO()
            csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
            data = text.getvalue().encode("utf-8")
            info = tarfile.TarInfo(f"ag_news_csv/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def registered(tmp_path, monkeypatch):
    """A manual_dir holding the test's archive, registered as the builder's download; TFDS's
    prepared data goes to tmp_path (never ~/tensorflow_datasets)."""
    from tensorflow_datasets.core import constants
    from tensorflow_datasets.core.download import checksums

    manual = tmp_path / "manual"
    manual.mkdir()
    path = archive(manual)
    builder_class = type(tfds.builder("ag_news_subset", data_dir=str(tmp_path / "probe")))
    (url,) = builder_class.url_infos  # the one URL the real builder downloads
    info = checksums.compute_url_info(path)
    monkeypatch.setattr(builder_class, "url_infos", {url: checksums.UrlInfo(info.size, info.checksum, path.name)})
    monkeypatch.setattr(constants, "DATA_DIR", str(tmp_path / "tfds"))
    return manual


def test_download_reads_every_row_through_the_real_tfds_builder(registered, tmp_path, monkeypatch):
    """data.source: tfds, data.manual_dir: the archive. The raw tables hold exactly the rows
    written, the label as 0-3 (World, Sports, Business, Sci/Tech), title, description."""
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"].update({"source": "tfds", "manual_dir": str(registered)})
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(project)
    run_stage_module("download")
    for split, rows in (("train", TRAIN_ROWS), ("test", TEST_ROWS)):
        with open(project / f"data/raw/{split}.csv", encoding="utf-8", newline="") as f:
            read = [tuple(row) for row in csv.reader(f)]
        assert read[0] == ("label", "title", "description")
        expected = [(str(int(label) - 1), title, description) for label, title, description in rows]
        assert sorted(read[1:]) == sorted(expected), split  # TFDS may shuffle; every row, every field


def test_tfds_and_csv_sources_give_the_same_rows(registered, tmp_path):
    """The same files through TFDS and through data.source: csv: the same rows."""
    from newscat.data.raw import load_csv_splits

    with tarfile.open(registered / "ag_news_csv.tar.gz") as tar:
        tar.extractall(tmp_path / "csv", filter="data")
    from_csv, _ = load_csv_splits(str(tmp_path / "csv" / "ag_news_csv"))
    from_tfds, _ = load_tfds_splits(manual_dir=str(registered))
    assert {k: sorted(map(tuple, v)) for k, v in from_tfds.items()} == {k: sorted(map(tuple, v)) for k, v in from_csv.items()}


def test_missing_manual_archive_says_how_to_run_offline(tmp_path):
    with pytest.raises(PipelineError, match="ag_news_csv.tar.gz.*data.source: csv"):
        load_tfds_splits(manual_dir=str(tmp_path), data_dir=str(tmp_path / "tfds"))


def test_an_archive_that_is_not_the_original_is_named_with_the_csv_route(tmp_path, monkeypatch, caplog):
    """TFDS's own checksum (not registered here) refuses a self-made archive: the error names the
    archive and the route for other data, and TFDS's warnings do not precede it."""
    from tensorflow_datasets.core import constants

    monkeypatch.setattr(constants, "DATA_DIR", str(tmp_path / "tfds"))
    path = archive(tmp_path)
    with pytest.raises(PipelineError) as info:
        load_tfds_splits(manual_dir=str(tmp_path), data_dir=str(tmp_path / "tfds"))
    assert str(info.value).startswith(f"data.manual_dir: {path} is not the original archive")
    assert "set data.source: csv and data.csv_dir" in str(info.value)
    assert not [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_unreachable_network_fails_fast_with_offline_help(monkeypatch, tmp_path, caplog):
    def refuse(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(PipelineError, match="unreachable.*make sample.*data.source: csv.*data.manual_dir"):
        load_tfds_splits(data_dir=str(tmp_path / "tfds"))
    assert not [r.getMessage() for r in caplog.records], "TFDS's warnings precede the offline help"
