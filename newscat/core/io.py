"""Files in and out: JSON, the project's CSV tables and intermediate data (data/clean,
data/vectorized), and Keras archives' metadata. (Stage outputs are written all-or-nothing
through newscat.core.staging.)"""

from __future__ import annotations

import csv
import json
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.registry import CLEAN_HEADER, clean_table, vectorized_paths


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest zip timestamp; what zipfile's writestr(str) avoids


def make_keras_archive_reproducible(path: Path, extra_metadata: dict | None = None) -> None:
    """Rewrite a .keras zip so the same model gives the same bytes (extra_metadata: keys added to
    its metadata.json). Keras stamps the save time (metadata.json, zip headers) and memory
    addresses ("shared_object_id" in config.json; our models share no stateful object through
    them), so an unchanged model would get a new hash on every save and make DVC rerun downstream."""
    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in entries:
            if info.filename == "metadata.json":
                metadata = json.loads(data)
                metadata["date_saved"] = "1980-01-01@00:00:00"
                metadata.update(extra_metadata or {})
                data = json.dumps(metadata).encode()
            elif info.filename == "config.json":
                data = json.dumps(_without_key(json.loads(data), "shared_object_id")).encode()
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            zf.writestr(fixed, data)


def keras_archive_metadata(path: Path, entry: str = "metadata.json") -> dict:
    """metadata.json (or another JSON entry) of a .keras file; {} if there is no readable one."""
    try:
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read(entry))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}


def _without_key(value, key: str):
    if isinstance(value, dict):
        return {k: _without_key(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_without_key(v, key) for v in value]
    return value


@contextmanager
def any_csv_field_size():
    """Within: the csv module reads a field of any size (AG News fields are short, but a huge
    one must be reported, not crash); after: its limit is what it was (a process-wide setting)."""
    old = csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def write_json(path: Path, data: object) -> None:
    """Deterministic JSON: sorted keys, fixed indent, trailing newline."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path: str | Path) -> dict:
    return json.loads(require_file(path).read_text(encoding="utf-8"))


def require_file(path: str | Path, hint: str = "") -> Path:
    """The path if it exists, else a PipelineError naming it (and how to produce it)."""
    path = Path(path)
    if not path.exists():
        raise PipelineError(f"{path}: not found" + (f"; {hint}" if hint else ""))
    return path


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A UTF-8 CSV with a header row (the format of data/raw and data/clean). csv quotes a
    field holding a LF but not one holding a lone CR, which a reader takes for a line break:
    such a row is written with every field quoted, so read_table gives back the same fields."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        quoted = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for row in rows:
            (quoted if any("\r" in str(field) for field in row) else writer).writerow(row)


def read_table(path: str | Path, header: Sequence[str]) -> list[list[str]]:
    """Rows of a CSV written by write_table; the header must be exactly `header`."""
    path = require_file(path, "run the upstream stage first (dvc repro)")
    with open(path, encoding="utf-8", newline="") as f, any_csv_field_size():
        reader = csv.reader(f)
        found = next(reader, None)
        if found != list(header):
            raise PipelineError(f"{path}:1: header {found} is not {list(header)}")
        return list(reader)


def load_clean(split: str) -> tuple[np.ndarray, list[str]]:
    """(labels int64, cleaned texts) of data/clean/<split>.csv."""
    rows = read_table(clean_table(split), CLEAN_HEADER)
    return np.array([int(label) for label, _ in rows], dtype=np.int64), [text for _, text in rows]


def load_vectorized(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(token ids int32 [n, seq_len], labels int64 [n]) of one split."""
    x_path, y_path = vectorized_paths(split)
    hint = "run `dvc repro vectorize`"
    return np.load(require_file(x_path, hint)), np.load(require_file(y_path, hint))
