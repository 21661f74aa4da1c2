"""Resume an interrupted training at its last completed epoch, with the same end result.

After each epoch `EpochCheckpoint` saves atomically to tmp/resume/train_<cell>/worker-<i>: the
model with its optimizer, EarlyStopping's state and best weights, and every epoch's logs. Only
the same run resumes it (`run_identity`: cell, params, data, training code, TF/Keras versions);
any difference is named and the checkpoint discarded. Dropout and input order are functions of
(seed, epoch), so a resumed run repeats the same arithmetic.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from pathlib import Path

import keras
import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.staging import lock_held, write_error
from newscat.core.registry import CHECKPOINT_ROOT

STEPS_PER_EPOCH_STREAM = 2**20  # room in the seed counter for this many dropout draws per epoch
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # newscat/
TRAINING_CODE = ("core", "train")  # the package folders stages/train.py runs (its DVC code deps)
STAGE_SCRIPT = Path("stages/train.py")  # relative to the project root, where stages run


def checkpoint_dir(cell: str, worker: str = "worker-0", root: Path = CHECKPOINT_ROOT) -> Path:
    """Each multi_worker worker keeps its own checkpoint (worker-0 when not distributed)."""
    return Path(root) / f"train_{cell}" / worker


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
    """Saves model + optimizer + early-stopping state + history after every completed epoch."""

    def __init__(self, directory: Path, early_stopping: keras.callbacks.EarlyStopping,
                 identity: dict, history: list[dict], resumed_state: dict | None = None,
                 ema_swap: keras.callbacks.SwapEMAWeights | None = None):
        super().__init__()
        self.ema_swap = ema_swap  # with EMA, the raw weights are swapped into the model to be saved
        self.directory = Path(directory)
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
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            self._save(tmp, epoch)
        except Exception as exc:  # a full disk: named, the previous checkpoint kept
            failed = write_error(exc, str(self.directory), tmp)
            shutil.rmtree(tmp, ignore_errors=True)
            if failed is None:
                raise
            raise failed from exc
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)  # a kill right after the last save's second rename
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)

    def _save(self, tmp: Path, epoch: int) -> None:
        es = self.early_stopping
        if self.ema_swap:  # the model holds the averaged weights now: save it as an epoch start sees it
            self.ema_swap.on_test_end()
        self.model.save(tmp / "model.keras")
        if self.ema_swap:
            self.ema_swap.on_test_begin()
        if es.best_weights is not None:
            np.savez(tmp / "best_weights.npz", *es.best_weights)
        best = None if es.best is None else float(es.best)
        (tmp / "state.json").write_text(json.dumps({
            "run": self.identity, "run_id": run_id(self.identity), "epochs_done": epoch + 1,
            "final": bool(self.model.stop_training) or epoch + 1 >= self.params.get("epochs", float("inf")),
            "best": best, "wait": es.wait, "best_epoch": es.best_epoch,
            # EarlyStopping (which runs before this callback) ended training at this epoch:
            # a run killed before saving its outputs must not train on when resumed.
            "stopped": bool(self.model.stop_training), "history": self.history[:epoch + 1]}))


def read_state(directory: Path) -> dict | None:
    """state.json of a checkpoint folder, recovering a kill between EpochCheckpoint's renames."""
    directory = Path(directory)
    shutil.rmtree(directory.with_name(directory.name + ".tmp"), ignore_errors=True)
    old = directory.with_name(directory.name + ".old")
    if not directory.exists() and old.exists():
        old.rename(directory)  # killed between the two renames: the previous epoch is intact
    try:
        return json.loads((directory / "state.json").read_text())
    except (OSError, ValueError):
        return None


def load_checkpoint(directory: Path, identity: dict) -> tuple[keras.Model, dict] | None:
    """(model with optimizer, state) of this same run, else None (another run's is deleted, saying why)."""
    directory = Path(directory)
    state = read_state(directory)
    if state is None:
        remove_checkpoint(directory, keep_claim=True)
        return None
    if state.get("run") != identity:
        print(f"resume: discarding {directory}: {difference(state.get('run'), identity)}; training from epoch 1")
        remove_checkpoint(directory, keep_claim=True)
        return None
    model = keras.models.load_model(directory / "model.keras")
    weights_file = directory / "best_weights.npz"
    if weights_file.exists():
        with np.load(weights_file) as saved:
            state["best_weights"] = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    else:
        state["best_weights"] = None
    return model, state


_CLAIMED: dict[Path, object] = {}  # checkpoint folder -> its lock file, held by this process


def claim_checkpoint(directory: Path) -> None:
    """Lock a checkpoint folder for this process (released when it exits, however it exits)."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    lock = open(directory.with_name(directory.name + ".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise PipelineError(f"{directory} is in use: another training of the same cell is running "
                            "in this checkout; wait for it to end or stop it") from None
    _CLAIMED[directory] = lock


def _in_use_elsewhere(directory: Path) -> bool:
    return directory not in _CLAIMED and lock_held(directory.with_name(directory.name + ".lock"))


def remove_checkpoint(directory: Path, keep_claim: bool = False) -> None:
    """Delete a checkpoint; its lock too unless this process keeps its claim."""
    directory = Path(directory)
    for path in (directory, directory.with_name(directory.name + ".old"),
                 directory.with_name(directory.name + ".tmp")):
        shutil.rmtree(path, ignore_errors=True)
    if keep_claim and directory in _CLAIMED:
        return
    directory.with_name(directory.name + ".lock").unlink(missing_ok=True)
    lock = _CLAIMED.pop(directory, None)
    if lock:
        lock.close()
    for parent in (directory.parent, directory.parent.parent):  # train_<cell>/, then tmp/resume/
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
        names = {p.name.removesuffix(".old").removesuffix(".tmp").removesuffix(".lock")
                 for p in cell_dir.iterdir()}
        for name in sorted(names):
            directory = cell_dir / name
            if _in_use_elsewhere(directory):  # a training running now: not ours to judge
                continue
            state = read_state(directory)
            run = (state or {}).get("run")
            if state is None:  # a lock alone, or a first checkpoint killed before it was complete
                remove_checkpoint(directory, keep_claim=True)
                continue
            if cell not in identities:
                why = "not a checkpoint of this project"
            elif run != identities[cell]:
                why = difference(run, identities[cell])
            else:
                continue
            print(f"resume: discarding {directory}: {why}")
            remove_checkpoint(directory, keep_claim=True)
        if cell_dir.is_dir() and not any(cell_dir.iterdir()):
            cell_dir.rmdir()
