"""Files in and out: all-or-nothing stage outputs, JSON, and the project's CSV tables.

A stage writes every output to a temporary sibling path and `StagedOutputs` renames them
all into place only when the stage finishes without an exception, so a failing stage
leaves the previous outputs untouched and no half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterable, Sequence

from newscat.errors import PipelineError

csv.field_size_limit(2**31 - 1)  # AG News fields are short, but a huge one must be reported, not crash


class StagedOutputs:
    """Context manager: `out.path(final)` gives a temporary path; commit all on success."""

    def __init__(self) -> None:
        self._pending: dict[Path, Path] = {}

    def path(self, final: str | Path) -> Path:
        final = Path(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".tmp-{uuid.uuid4().hex[:8]}.{final.name}")  # keeps the suffix (Keras checks it)
        self._pending[final] = tmp
        return tmp

    def __enter__(self) -> "StagedOutputs":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            for final, tmp in self._pending.items():
                _replace(tmp, final)
        else:
            for tmp in self._pending.values():
                _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _replace(tmp: Path, final: Path) -> None:
    """Move tmp onto final; a directory replaces a directory (old one moved aside first)."""
    if not tmp.exists():
        raise RuntimeError(f"stage declared output {final} but never wrote it")
    if final.is_dir() and not final.is_symlink():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


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
    """A UTF-8 CSV with a header row (the format of data/raw and data/clean)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read_table(path: str | Path, header: Sequence[str]) -> list[list[str]]:
    """Rows of a CSV written by write_table; the header must be exactly `header`."""
    path = require_file(path, "run the upstream stage first (dvc repro)")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        found = next(reader, None)
        if found != list(header):
            raise PipelineError(f"{path}:1: header {found} is not {list(header)}")
        return list(reader)
