"""Resume an interrupted training at its last completed epoch, with the same end result.

After each epoch `EpochCheckpoint` replaces tmp/resume/train_<cell>/worker-<i>.keras (os.replace,
atomic): the model with its optimizer, EarlyStopping's state and best weights, and every epoch's
logs. Only the same run resumes it (`run_identity`: cell, params, data, training code, TF/Keras
versions); any difference is named and the checkpoint discarded. Dropout and input order are
functions of (seed, epoch), so a resumed run repeats the same arithmetic.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import keras
import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.io import keras_archive_metadata
from newscat.core.registry import CHECKPOINT_ROOT, CHECKPOINT_STATE
from newscat.core.staging import lock_held, write_error

STEPS_PER_EPOCH_STREAM = 2**20  # room in the seed counter for this many dropout draws per epoch
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # newscat/
TRAINING_CODE = ("core", "train")  # the package folders stages/train.py runs (its DVC code deps)
STAGE_SCRIPT = Path("stages/train.py")  # relative to the project root, where stages run
BEST_WEIGHTS = "newscat_best_weights.npz"  # in a checkpoint's archive: EarlyStopping's best weights


def checkpoint_path(cell: str, worker: str = "worker-0", root: Path = CHECKPOINT_ROOT) -> Path:
    """Each multi_worker worker keeps its own checkpoint (worker-0 when not distributed)."""
    return Path(root) / f"train_{cell}" / f"{worker}.keras"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def source_files() -> list[Path]:
    return ([p for folder in TRAINING_CODE for p in sorted((PACKAGE_DIR / folder).glob("*.py"))]
            + ([STAGE_SCRIPT] if STAGE_SCRIPT.exists() else []))


def _code_name(path: Path) -> str:
    """newscat/train/fit.py, stages/train.py: how a changed file is named to the user."""
    return str(path.relative_to(PACKAGE_DIR.parent)) if path.is_absolute() else str(path)


def run_identity(cell: str, settings: tuple, arrays: tuple) -> dict:
    """What makes two trainings the same run; compare with `difference`."""
    import tensorflow as tf

    data = hashlib.sha256()
    for array in arrays:
        data.update(repr((array.dtype.str, array.shape)).encode())
        data.update(np.ascontiguousarray(array).tobytes())
    return {
        "cell": cell,
        "params": _digest(repr(settings).encode()),
        "data": data.hexdigest()[:16],
        "code": {_code_name(p): _digest(p.read_bytes()) for p in source_files()},
        "versions": f"tensorflow {tf.__version__}, keras {keras.__version__}",
    }


def run_id(identity: dict) -> str:
    return _digest(json.dumps(identity, sort_keys=True).encode())


def difference(old: dict | None, new: dict) -> str:
    """Why a checkpoint of run `old` is not this run `new`, in a few words."""
    old = old if isinstance(old, dict) else {}
    reasons = []
    for key, what in (("cell", "another cell"), ("params", "other params"), ("data", "other data")):
        if old.get(key) != new[key]:
            reasons.append(what)
    old_code = old.get("code") or {}
    changed = sorted(f for f in set(old_code) | set(new["code"]) if old_code.get(f) != new["code"].get(f))
    if changed:
        reasons.append("changed code: " + ", ".join(changed[:4]) + (" ..." if len(changed) > 4 else ""))
    if old.get("versions") != new["versions"]:
        reasons.append(f"{old.get('versions')} (now {new['versions']})")
    return "it belongs to a run with " + "; ".join(reasons or ["other settings"])


class PerEpochSeed(keras.callbacks.Callback):
    """Set every layer's random stream to a function of (seed, epoch) at each epoch start."""

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        for variable in self.model.variables:  # every keras.random.SeedGenerator's state
            if variable.name == "seed_generator_state":
                variable.assign(np.array([self.seed, epoch * STEPS_PER_EPOCH_STREAM], dtype=variable.dtype))


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves model + optimizer + early-stopping state + history after every completed epoch, as
    one .keras archive (the state and best weights are entries of its zip) replacing the last."""

    def __init__(self, path: Path, early_stopping: keras.callbacks.EarlyStopping,
                 identity: dict, history: list[dict], resumed_state: dict | None = None,
                 ema_swap: keras.callbacks.SwapEMAWeights | None = None):
        super().__init__()
        self.ema_swap = ema_swap  # with EMA, the raw weights are swapped into the model to be saved
        self.path = Path(path)
        self.early_stopping = early_stopping
        self.identity = identity
        self.history = history  # shared with the caller: every completed epoch's logs
        self.resumed_state = resumed_state

    def on_train_begin(self, logs=None):
        # EarlyStopping.on_train_begin (which runs first) has just reset its state: put it back.
        if self.resumed_state:
            es, state = self.early_stopping, self.resumed_state
            es.best, es.wait, es.best_epoch = state["best"], state["wait"], state["best_epoch"]
            es.best_weights = state["best_weights"]

    def on_epoch_end(self, epoch, logs=None):
        tmp = _temporary(self.path)
        try:
            self._save(tmp, epoch)
        except Exception as exc:  # a full disk: named, the previous checkpoint kept
            tmp.unlink(missing_ok=True)
            failed = write_error(exc, str(self.path), self.path.parent)
            if failed is None:
                raise
            raise failed from exc
        os.replace(tmp, self.path)

    def _save(self, tmp: Path, epoch: int) -> None:
        es = self.early_stopping
        if self.ema_swap:  # the model holds the averaged weights now: save it as an epoch start sees it
            self.ema_swap.on_test_end()
        self.model.save(tmp)
        if self.ema_swap:
            self.ema_swap.on_test_begin()
        with zipfile.ZipFile(tmp, "a") as archive:
            if es.best_weights is not None:
                weights = io.BytesIO()
                np.savez(weights, *es.best_weights)
                archive.writestr(BEST_WEIGHTS, weights.getvalue())
            best = None if es.best is None else float(es.best)
            archive.writestr(CHECKPOINT_STATE, json.dumps({
                "run": self.identity, "run_id": run_id(self.identity), "epochs_done": epoch + 1,
                "final": bool(self.model.stop_training) or epoch + 1 >= self.params.get("epochs", float("inf")),
                "best": best, "wait": es.wait, "best_epoch": es.best_epoch,
                # EarlyStopping (which runs before this callback) ended training at this epoch:
                # a run killed before saving its outputs must not train on when resumed.
                "stopped": bool(self.model.stop_training), "history": self.history[:epoch + 1]}))


def _temporary(path: Path) -> Path:
    return path.with_name(f"{path.stem}.tmp.keras")  # Keras checks the suffix


def read_state(path: Path) -> dict | None:
    """The state of a checkpoint (a half-written temporary beside it is deleted); None if none."""
    _temporary(Path(path)).unlink(missing_ok=True)
    return keras_archive_metadata(path, CHECKPOINT_STATE) or None


def load_checkpoint(path: Path, identity: dict) -> tuple[keras.Model, dict] | None:
    """(model with optimizer, state) of this same run, else None (another run's is deleted, saying why)."""
    path = Path(path)
    state = read_state(path)
    if state is None:
        remove_checkpoint(path, keep_claim=True)
        return None
    if state.get("run") != identity:
        print(f"resume: discarding {path}: {difference(state.get('run'), identity)}; training from epoch 1")
        remove_checkpoint(path, keep_claim=True)
        return None
    state["best_weights"] = None
    with zipfile.ZipFile(path) as archive:
        if BEST_WEIGHTS in archive.namelist():
            with np.load(io.BytesIO(archive.read(BEST_WEIGHTS))) as saved:
                state["best_weights"] = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    return keras.models.load_model(path), state


_CLAIMED: dict[Path, object] = {}  # checkpoint -> its lock file, held by this process


def _lock_file(path: Path) -> Path:
    return path.with_suffix(".lock")


def claim_checkpoint(path: Path) -> None:
    """Lock a checkpoint for this process (released when it exits, however it exits)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(_lock_file(path), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise PipelineError(f"{path} is in use: another training of the same cell is running "
                            "in this checkout; wait for it to end or stop it") from None
    _CLAIMED[path] = lock


def remove_checkpoint(path: Path, keep_claim: bool = False) -> None:
    """Delete a checkpoint; its lock too unless this process keeps its claim."""
    path = Path(path)
    path.unlink(missing_ok=True)
    _temporary(path).unlink(missing_ok=True)
    if keep_claim and path in _CLAIMED:
        return
    _lock_file(path).unlink(missing_ok=True)
    lock = _CLAIMED.pop(path, None)
    if lock:
        lock.close()
    for parent in (path.parent, path.parent.parent):  # train_<cell>/, then tmp/resume/
        try:
            parent.rmdir()
        except OSError:
            break


def remove_stale_checkpoints(identities: dict[str, dict], root: Path = CHECKPOINT_ROOT) -> None:
    """Delete every checkpoint of another run than its cell's current one (identities)."""
    root = Path(root)
    if not root.is_dir():
        return
    for cell_dir in sorted(root.iterdir()):
        cell = cell_dir.name.removeprefix("train_")
        if not cell_dir.is_dir():
            cell_dir.unlink()
            continue
        for name in sorted({p.name.split(".")[0] for p in cell_dir.iterdir()}):  # worker-0 of its files
            path = cell_dir / f"{name}.keras"
            if path not in _CLAIMED and lock_held(_lock_file(path)):  # a training running now: not ours to judge
                continue
            state = read_state(path)
            if state is None:  # a lock alone, or a first checkpoint killed before it was complete
                remove_checkpoint(path, keep_claim=True)
                continue
            if cell not in identities:
                why = "not a checkpoint of this project"
            elif state.get("run") != identities[cell]:
                why = difference(state.get("run"), identities[cell])
            else:
                continue
            print(f"resume: discarding {path}: {why}")
            remove_checkpoint(path, keep_claim=True)
        if cell_dir.is_dir() and not any(cell_dir.iterdir()):
            cell_dir.rmdir()
