"""AG News in: the original CSV layout or TFDS, validated row by row.

Rows come out as (label, title, description) with label 0 World, 1 Sports, 2 Business,
3 Sci/Tech. Bad rows are reported as file:line and reason; the caller decides (via
`data.on_bad_rows`) whether that stops the run or the rows are skipped and counted.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from newscat.errors import PipelineError

Row = tuple[int, str, str]  # (label 0..3, title, description)
RAW_HEADER = ("label", "title", "description")
SPLITS = ("train", "test")
MAX_LISTED = 20  # problems spelled out before the rest are only counted

# Set here too, not only in newscat.io: the reader must not depend on what was imported first.
csv.field_size_limit(2**31 - 1)


@dataclass
class Problems:
    """Bad rows found while reading: 'file:line: reason' strings."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        self.items.append(f"{where}: {reason}")

    def summary(self) -> str:
        shown = "\n  ".join(self.items[:MAX_LISTED])
        more = len(self.items) - MAX_LISTED
        return f"{len(self.items)} bad row(s):\n  {shown}" + (f"\n  ... and {more} more" if more > 0 else "")


def validate_row(fields: list[str], where: str, problems: Problems) -> Row | None:
    """A (label, title, description) row from the CSV's class,title,description, or None."""
    if len(fields) != 3:
        problems.add(where, f"expected 3 fields (class,title,description), found {len(fields)}")
        return None
    klass, title, description = fields
    if klass.strip() not in ("1", "2", "3", "4"):
        problems.add(where, f"class {klass[:20]!r} is not one of 1, 2, 3, 4")
        return None
    if not title.strip() and not description.strip():
        problems.add(where, "empty title and description")
        return None
    return int(klass) - 1, title, description


def _decoded_lines(raw_lines: Iterator[bytes], bad_lines: set[int]) -> Iterator[str]:
    """UTF-8 lines; a line that is not valid UTF-8 is noted in bad_lines and passed on replaced."""
    for lineno, raw in enumerate(raw_lines, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.add(lineno)
            yield raw.decode("utf-8", errors="replace")


def read_ag_news_csv(path: Path, problems: Problems) -> list[Row]:
    """Rows of one original ag_news_csv file (plain or .gz); bad rows go to `problems`."""
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[Row] = []
    bad_lines: set[int] = set()
    try:
        with opener(path, "rb") as f:
            reader = csv.reader(_decoded_lines(f, bad_lines), strict=True)
            last_line = 0
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    problems.add(f"{path}:{reader.line_num}", f"malformed CSV ({exc})")
                    last_line = reader.line_num
                    continue
                first_line, last_line = last_line + 1, reader.line_num
                where = f"{path}:{first_line}"
                if bad_lines.intersection(range(first_line, last_line + 1)):
                    problems.add(where, "undecodable bytes (not UTF-8)")
                    continue
                if fields == []:
                    continue  # a blank line
                row = validate_row(fields, where, problems)
                if row is not None:
                    rows.append(row)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise PipelineError(f"{path}: corrupt gzip file ({exc}); re-download or decompress it") from None
    except OSError as exc:
        raise PipelineError(f"{path}: cannot read ({exc})") from None
    return rows


def find_split_file(csv_dir: Path, split: str) -> Path:
    """csv_dir/<split>.csv or csv_dir/<split>.csv.gz."""
    for name in (f"{split}.csv", f"{split}.csv.gz"):
        if (csv_dir / name).is_file():
            return csv_dir / name
    if not csv_dir.is_dir():
        raise PipelineError(f"data.csv_dir: folder {csv_dir} does not exist")
    raise PipelineError(f"data.csv_dir: {csv_dir} has no {split}.csv or {split}.csv.gz "
                        "(the original ag_news_csv layout: class,title,description, no header)")


def load_csv_splits(csv_dir: str | Path) -> tuple[dict[str, list[Row]], Problems]:
    """Both splits from a folder in the original ag_news_csv layout."""
    csv_dir = Path(csv_dir)
    files = {split: find_split_file(csv_dir, split) for split in SPLITS}  # all present before reading
    problems = Problems()
    return {split: read_ag_news_csv(path, problems) for split, path in files.items()}, problems


OFFLINE_HELP = (
    "Offline, run the whole pipeline on the real sample bundled in data/sample: `make sample` "
    "(or `dvc exp run -S data.source=csv`). For the full dataset, set data.source: csv and "
    "data.csv_dir to a folder with the original train.csv/test.csv, or data.manual_dir to a "
    "folder holding ag_news_csv.tar.gz."
)


TFDS_SOURCE_HOST = "drive.google.com"  # where TFDS's ag_news_subset builder downloads from
TFDS_ARCHIVE = "ag_news_csv.tar.gz"


def _check_tfds_can_prepare(builder, manual_dir: str | None) -> None:
    """Fail in seconds, not after TFDS's ten back-off retries, when nothing can be fetched."""
    import socket

    if builder.is_prepared():
        return
    if manual_dir:
        if not (Path(manual_dir) / TFDS_ARCHIVE).is_file():
            raise PipelineError(f"data.manual_dir: {manual_dir} has no {TFDS_ARCHIVE}. " + OFFLINE_HELP)
        return
    try:
        socket.create_connection((TFDS_SOURCE_HOST, 443), timeout=5).close()
    except OSError as exc:
        raise PipelineError(f"TFDS cannot download ag_news_subset: {TFDS_SOURCE_HOST} is "
                            f"unreachable ({exc}). " + OFFLINE_HELP) from None


def load_tfds_splits(manual_dir: str | None = None, data_dir: str | None = None
                     ) -> tuple[dict[str, list[Row]], Problems]:
    """Both splits of TFDS `ag_news_subset` (title and description kept)."""
    import tensorflow_datasets as tfds

    _check_tfds_can_prepare(tfds.builder("ag_news_subset", data_dir=data_dir), manual_dir)
    config = tfds.download.DownloadConfig(manual_dir=manual_dir, try_download_gcs=False)
    try:
        datasets = tfds.load("ag_news_subset", split=list(SPLITS), data_dir=data_dir,
                             download_and_prepare_kwargs={"download_config": config})
    except Exception as exc:  # tfds raises many types (network, checksum, missing file)
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise PipelineError(f"TFDS could not load ag_news_subset ({type(exc).__name__}: {reason}). "
                            + OFFLINE_HELP) from None
    problems = Problems()
    splits: dict[str, list[Row]] = {}
    for split, ds in zip(SPLITS, datasets):
        rows = []
        for i, ex in enumerate(tfds.as_numpy(ds)):
            where = f"tfds:ag_news_subset/{split}:{i}"
            try:
                title, description = ex["title"].decode("utf-8"), ex["description"].decode("utf-8")
            except UnicodeDecodeError:
                problems.add(where, "undecodable bytes (not UTF-8)")
                continue
            row = validate_row([str(int(ex["label"]) + 1), title, description], where, problems)
            if row is not None:
                rows.append(row)
        splits[split] = rows
    return splits, problems
