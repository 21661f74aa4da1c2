"""All-or-nothing stage outputs: each is written to a temporary path in tmp/staging/<process>/
(git-ignored, under the project root: same filesystem, so a rename is atomic) and renamed into
place only when the stage succeeds. The commit first writes its plan (commit.json): a process
killed before it leaves the previous outputs whole, one killed after it leaves a plan that the
next stage run finishes, so outputs change together or not at all. A read-only folder or a full
disk is named (the output, never a temporary) before anything is renamed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

from newscat.core.io import keras_archive_metadata
from newscat.core.registry import CHECKPOINT_ROOT, CHECKPOINT_STATE, RUN_KEY, STAGING_DIR, keras_model_path


class StagedOutputs:
    """Context manager: `out.path(final)` gives a temporary path; commit all on success."""

    def __init__(self, scratch: str | Path = STAGING_DIR) -> None:
        self._pending: dict[Path, Path] = {}
        self._scratch = Path(os.path.abspath(scratch))
        self._own: Path | None = None

    def path(self, final: str | Path) -> Path:
        final = Path(final)
        if final in self._pending:  # asked twice: the same temporary path, not a leaked one
            return self._pending[final]
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._folder() / f"{len(self._pending)}-{final.name}"  # keeps the suffix (Keras checks it)
        self._pending[final] = tmp
        return tmp

    def _folder(self) -> Path:
        if self._own is None:
            remove_dead_staging(self._scratch)
            self._scratch.mkdir(parents=True, exist_ok=True)
            name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            # Held while this process stages; the system releases it when the process dies,
            # however it dies: an unlocked folder belongs to nobody alive.
            self._lock = open(self._scratch / f"{name}.lock", "w")
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            self._own = self._scratch / name
            self._own.mkdir()
        return self._own

    def __enter__(self) -> "StagedOutputs":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            failed = self._named(exc) if exc is not None else None
            if failed is not None:
                raise failed from exc
            missing = [final for final, tmp in self._pending.items() if not tmp.exists()]
            if exc_type is None and not missing:
                for final in self._pending:
                    _check_writable(final)
                plan = [(tmp.name, os.path.relpath(os.path.abspath(final), _root(self._scratch)))
                        for final, tmp in self._pending.items()]
                try:
                    (self._own / f"{COMMIT}.tmp").write_text(json.dumps(plan))
                except OSError as exc:  # a full disk: named by the outputs it was to commit
                    raise write_error(exc, str(next(iter(self._pending))), self._own) from exc
                os.replace(self._own / f"{COMMIT}.tmp", self._own / COMMIT)  # the commit point
                _commit(self._own)
                return
            if exc_type is None:  # check all before moving any: a missing one must not leave a mix
                raise RuntimeError(f"stage declared output(s) {', '.join(map(str, missing))} "
                                   "but never wrote them; nothing was replaced")
        finally:
            if self._own is not None:
                shutil.rmtree(self._own, ignore_errors=True)
                Path(self._lock.name).unlink(missing_ok=True)
                self._lock.close()
                _remove_if_empty(self._scratch)

    def _named(self, exc: BaseException) -> OSError | None:
        if not self._pending:
            return None
        return write_error(exc, self._output_of(getattr(exc, "filename", None), str(exc)), self._folder())

    def _output_of(self, filename: str | None, text: str) -> str:
        """The output a failed write was writing: the one its error names, else the last changed."""
        for final, tmp in self._pending.items():
            if filename and (str(filename) == str(tmp) or str(filename).startswith(f"{tmp}{os.sep}")):
                return str(final) + str(filename)[len(str(tmp)):]
        named = [final for final, tmp in self._pending.items() if str(tmp) in text]
        written = [final for final, tmp in self._pending.items() if tmp.exists()]
        if named or written:
            return str((named or [max(written, key=lambda f: self._pending[f].stat().st_mtime)])[-1])
        return str(filename or list(self._pending)[-1])


def write_error(exc: BaseException, path: str, folder: Path) -> OSError | None:
    """`exc`, raised writing `path` into `folder`, as an OSError naming `path` and the cause, also
    where a library lost it (numpy's `[Errno None]` on a full disk); None if no write error."""
    says_full = "No space left on device" in str(exc)
    if not (isinstance(exc, OSError) or says_full):
        return None
    if says_full or exc.errno == errno.ENOSPC or (exc.errno is None and _free_bytes(folder) < 1 << 20):
        return OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (free some space and rerun; "
                       "nothing was replaced)", path)
    return OSError(exc.errno, exc.strerror or type(exc).__name__, path)


def _free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


COMMIT = "commit.json"  # in a staging folder: [[temporary name, output path from the project root], ...]


def _root(scratch: Path) -> Path:
    return Path(scratch).parent.parent  # tmp/staging -> the project root


def _check_writable(final: Path) -> None:
    """A PermissionError naming the output if a read-only folder keeps it from being replaced."""
    if not os.access(final.parent, os.W_OK | os.X_OK) or (final.is_dir() and not os.access(final, os.W_OK)):
        raise PermissionError(errno.EACCES, "cannot replace it (read-only folder); nothing was replaced",
                              str(final))


def _commit(folder: Path) -> None:
    """Move every output of a written plan into place (again after a kill: moved ones are skipped)."""
    root = _root(folder.parent)
    for i, (name, final) in enumerate(json.loads((folder / COMMIT).read_text())):
        tmp, final = folder / name, root / final
        if tmp.exists() or tmp.is_symlink():
            if final.is_dir() and not final.is_symlink():
                os.replace(final, folder / f"old-{i}")
            os.replace(tmp, final)


def remove_dead_staging(scratch: Path = STAGING_DIR) -> None:
    """Delete the staging folders of dead processes (no live lock), committing a written plan first."""
    scratch = Path(scratch)
    if not scratch.is_dir():
        return
    for lock_file in scratch.glob("*.lock"):
        try:
            lock = open(lock_file)
        except FileNotFoundError:  # its owner just finished
            continue
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # alive
                continue
            if (lock_file.with_suffix("") / COMMIT).exists():
                _commit(lock_file.with_suffix(""))
            _remove(lock_file.with_suffix(""))
            lock_file.unlink(missing_ok=True)
    for folder in scratch.iterdir():  # an owner creates its lock before its folder
        if folder.is_dir() and not folder.with_name(folder.name + ".lock").exists():
            _remove(folder)


def remove_superseded_checkpoints(root: Path = CHECKPOINT_ROOT) -> None:
    """Delete a cell's resume checkpoints once a model not of their run's end was put in place
    after them (DVC's run cache or checkout, another run). Kept: a finished run whose killed
    commit was completed (the model carries its run id), so its next run trains no epoch again."""
    for cell_dir in sorted(Path(root).glob("train_*")):
        model = keras_model_path(cell_dir.name.removeprefix("train_"))
        saved = [p.stat().st_mtime for p in cell_dir.rglob("*") if p.is_file() and p.suffix != ".lock"]
        if not saved:  # locks alone: a training that failed before its first checkpoint
            if not any(lock_held(lock) for lock in cell_dir.glob("*.lock")):
                shutil.rmtree(cell_dir, ignore_errors=True)
            continue
        if not model.is_file() or any(t >= model.stat().st_mtime for t in saved):
            continue
        states = [keras_archive_metadata(p, CHECKPOINT_STATE) for p in cell_dir.glob("worker-*.keras")
                  if len(p.suffixes) == 1]  # not a half-written worker-<i>.tmp.keras
        own_end = keras_archive_metadata(model).get(RUN_KEY)
        if states and all(s.get("final") and s.get("run_id") == own_end for s in states):
            continue
        if not any(lock_held(lock) for lock in cell_dir.glob("*.lock")):  # no training running
            print(f"resume: removing {cell_dir}: {model} was put in place after it", file=sys.stderr)
            shutil.rmtree(cell_dir, ignore_errors=True)
    _remove_if_empty(Path(root))


def lock_held(lock_file: Path) -> bool:
    """Whether a live process holds this lock file (fcntl.flock; released when it dies)."""
    try:
        lock = open(lock_file)
    except FileNotFoundError:
        return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
