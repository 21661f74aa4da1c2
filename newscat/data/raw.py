"""Raw AG News input (stage download): the original CSV layout or TFDS, validated row by row,
as (label 0-3, title, description). Bad rows are reported as file:line and reason; with
`data.on_bad_rows` they stop the run or are skipped and counted.
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from newscat.core.errors import PipelineError
from newscat.core.io import any_csv_field_size
from newscat.core.registry import CLASS_NAMES, SPLITS

Row = tuple[int, str, str]  # (label 0..3, title, description)
MAX_LISTED = 20  # problems spelled out before the rest are only counted

@dataclass
class Problems:
    """Bad rows ('file:line: reason', also as {split, where, reason}) and per-split counts
    read = kept + skipped."""

    items: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # split -> the file it was read from

    def add(self, where: str, reason: str, split: str = "") -> None:
        self.items.append(f"{where}: {reason}")
        self.skipped.append({"split": split, "where": where, "reason": reason})

    def split_counts(self, split: str) -> dict[str, int]:
        """The split's read/kept/skipped counts (all 0 before its first record)."""
        return self.counts.setdefault(split, {"read": 0, "kept": 0, "skipped": 0})

    def tally(self, split: str, row: Row | None, rows: list[Row]) -> None:
        """Count a record as read, then as kept (appended to rows) or skipped (row None)."""
        counts = self.split_counts(split)
        counts["read"] += 1
        counts["skipped" if row is None else "kept"] += 1
        if row is not None:
            rows.append(row)

    def summary(self) -> str:
        shown = "\n  ".join(self.items[:MAX_LISTED])
        more = len(self.items) - MAX_LISTED
        return f"{len(self.items)} bad row(s):\n  {shown}" + (f"\n  ... and {more} more" if more > 0 else "")

    def report(self) -> dict:
        """The download report's account of every row: counts per split, the first skipped rows."""
        return {"rows": self.counts, "bad_rows_skipped": len(self.skipped),
                "skipped_rows_first": self.skipped[:MAX_LISTED]}


def validate_row(fields: list[str], where: str, problems: Problems, split: str = "") -> Row | None:
    """A (label, title, description) row from the CSV's class,title,description, or None."""
    if len(fields) != 3:
        problems.add(where, f"expected 3 fields (class,title,description), found {len(fields)}", split)
        return None
    klass, title, description = fields
    if klass.strip() not in ("1", "2", "3", "4"):
        header = where.endswith(":1") and not klass.strip().isdigit()  # the layout has no header row
        problems.add(where, f"class {klass[:20]!r} is not one of 1, 2, 3, 4"
                     + (" (a header row? the ag_news_csv layout has none: delete it)" if header else ""), split)
        return None
    if not title.strip() and not description.strip():
        problems.add(where, "empty title and description", split)
        return None
    return int(klass) - 1, title, description


GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


def _file_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed if gzip (by its .gz name or its first two bytes)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise PipelineError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if path.suffix == ".gz" or data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise PipelineError(f"{path}: corrupt gzip file ({exc}); re-download or decompress it") from None
    return data


def _decoded_lines(data: bytes, bad_lines: set[int]) -> Iterator[str]:
    """UTF-8 lines (LF, CRLF or CR), a BOM dropped; undecodable lines noted in bad_lines, replaced."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    for lineno, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.add(lineno)
            yield raw.decode("utf-8", errors="replace")


def _lines(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


def read_ag_news_csv(path: Path, problems: Problems, split: str | None = None) -> list[Row]:
    """Rows of one original ag_news_csv file (plain or .gz); every record is counted as read and
    then kept or skipped (into `problems`, with the whole line range a broken record covered)."""
    split = split or path.name.split(".")[0]
    problems.split_counts(split)  # an empty file is counted too
    rows: list[Row] = []
    bad_lines: set[int] = set()
    reader = csv.reader(_decoded_lines(_file_bytes(path), bad_lines), strict=True)
    last_line = 0

    def skip(first: int, last: int, reason: str) -> None:
        if last > first:
            reason += f" (one record over lines {first}-{last}: an unterminated quote?)"
        problems.add(f"{path}:{_lines(first, last)}", reason, split)
        problems.tally(split, None, rows)

    with any_csv_field_size():  # a huge field is reported as a bad row, not a crash
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                first_line, last_line = last_line + 1, max(reader.line_num, last_line + 1)
                skip(first_line, last_line, f"malformed CSV ({exc})")
                continue
            first_line, last_line = last_line + 1, reader.line_num
            if bad_lines.intersection(range(first_line, last_line + 1)):
                skip(first_line, last_line, "undecodable bytes (not UTF-8)")
                continue
            if fields == []:
                continue  # a blank line
            row = validate_row(fields, f"{path}:{_lines(first_line, last_line)}", problems, split)
            problems.tally(split, row, rows)
    return rows


def find_split_file(csv_dir: Path, split: str) -> Path:
    """csv_dir/<split>.csv or csv_dir/<split>.csv.gz; both present is ambiguous and refused."""
    found = [csv_dir / name for name in (f"{split}.csv", f"{split}.csv.gz") if (csv_dir / name).is_file()]
    if len(found) == 2:
        raise PipelineError(f"data.csv_dir: both {found[0]} and {found[1]} exist; which one is the "
                            f"{split} split is ambiguous: keep one (delete or move the other)")
    if found:
        return found[0]
    if csv_dir.exists() and not csv_dir.is_dir():
        raise PipelineError(f"data.csv_dir: {csv_dir} is a file; valid: a folder holding {split}.csv or {split}.csv.gz")
    if not csv_dir.is_dir():
        where = "" if csv_dir.is_absolute() else (
            f" (a relative path is read from the project root, {Path.cwd()})")
        raise PipelineError(f"data.csv_dir: folder {csv_dir} does not exist{where}")
    for name in (f"{split}.csv", f"{split}.csv.gz"):
        if (csv_dir / name).is_symlink() and not (csv_dir / name).exists():
            raise PipelineError(f"data.csv_dir: {csv_dir / name} is a symbolic link to "
                                f"{os.readlink(csv_dir / name)}, which does not exist")
    raise PipelineError(f"data.csv_dir: {csv_dir} has no {split}.csv or {split}.csv.gz "
                        "(the original ag_news_csv layout: class,title,description, no header)")


def load_csv_splits(csv_dir: str | Path) -> tuple[dict[str, list[Row]], Problems]:
    """Both splits from a folder in the original ag_news_csv layout."""
    csv_dir = Path(csv_dir)
    files = {split: find_split_file(csv_dir, split) for split in SPLITS}  # all present before reading
    problems = Problems(sources={split: str(path) for split, path in files.items()})
    return {split: read_ag_news_csv(path, problems, split) for split, path in files.items()}, problems


def account_for_rows(splits: dict[str, list[Row]], problems: Problems, on_bad_rows: str) -> dict:
    """Stop on bad rows (on_bad_rows: error), an empty split or a class missing from test; else
    the download report's account of every row."""
    if problems.items and on_bad_rows == "error":
        raise PipelineError(problems.summary() + "\n(set data.on_bad_rows: skip to drop them)")
    for split in SPLITS:
        counts = problems.split_counts(split)
        if not splits[split]:
            shown = [f"{x['where']}: {x['reason']}" for x in problems.skipped if x["split"] == split]
            source = f" ({problems.sources[split]})" if split in problems.sources else ""
            raise PipelineError(
                f"the {split} split{source} has no usable row: {counts['read']} row(s) read, {counts['skipped']} "
                "skipped as bad" + (":\n  " + "\n  ".join(shown[:MAX_LISTED]) if shown else "")
                + f"\nvalid: a {split} file with at least one row class,title,description (class 1-4), "
                "UTF-8 text (plain or gzip)")
    test_counts = {name: 0 for name in CLASS_NAMES}
    for label, _, _ in splits["test"]:
        test_counts[CLASS_NAMES[label]] += 1
    if 0 in test_counts.values():  # accuracy alone would look fine; per-class and macro scores would not exist
        source = problems.sources.get("test", "the test split")
        raise PipelineError(
            f"{source}: the test split has no row of class(es) {', '.join(n for n, c in test_counts.items() if not c)} "
            f"(test rows per class: {', '.join(f'{n} {c}' for n, c in test_counts.items())}); valid: a test split "
            "with every class, so that every model is scored on all four")
    return problems.report()


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
    from newscat.core import quiet

    quiet.import_tensorflow()  # before tensorflow_datasets imports it: its start-up lines dropped
    import tensorflow_datasets as tfds

    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)  # drops "Variant folder ... has no dataset_info.json": said before any download
    config = tfds.download.DownloadConfig(manual_dir=manual_dir, try_download_gcs=False)
    try:
        _check_tfds_can_prepare(tfds.builder("ag_news_subset", data_dir=data_dir), manual_dir)
        datasets = tfds.load("ag_news_subset", split=list(SPLITS), data_dir=data_dir,
                             download_and_prepare_kwargs={"download_config": config})
    except PipelineError:
        raise
    except Exception as exc:  # tfds raises many types (network, checksum, missing file)
        if manual_dir and type(exc).__name__ == "NonMatchingChecksumError":
            raise PipelineError(
                f"data.manual_dir: {Path(manual_dir) / TFDS_ARCHIVE} is not the original archive: TFDS builds "
                "ag_news_subset only from the byte-identical file (it checks its size and SHA-256). For other "
                "data (a subset, a repacked archive), set data.source: csv and data.csv_dir to a folder "
                "holding its train.csv and test.csv") from None
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise PipelineError(f"TFDS could not load ag_news_subset ({type(exc).__name__}: {reason}). "
                            + OFFLINE_HELP) from None
    finally:
        absl.setLevel(level)
    problems = Problems()
    splits: dict[str, list[Row]] = {}
    for split, ds in zip(SPLITS, datasets):
        rows = []
        problems.split_counts(split)
        for i, ex in enumerate(tfds.as_numpy(ds)):
            where = f"tfds:ag_news_subset/{split}:{i}"
            try:
                title, description = ex["title"].decode("utf-8"), ex["description"].decode("utf-8")
                row = validate_row([str(int(ex["label"]) + 1), title, description], where, problems, split)
            except UnicodeDecodeError:
                problems.add(where, "undecodable bytes (not UTF-8)", split)
                row = None
            problems.tally(split, row, rows)
        splits[split] = rows
    return splits, problems
