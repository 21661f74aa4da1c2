"""Train one attention RNN (stages train_lstm / train_gru) and what the stage saves from it.

`fit` trains with early stopping on the validation loss (never the test split), checkpointing
every epoch so a killed run resumes (newscat.train.resume). The stage then writes the model, its
weights and the DVCLive history (replayed from the epochs' logs) together; only then is the
checkpoint deleted.
"""

from __future__ import annotations

import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.io import load_vectorized, make_keras_archive_reproducible, write_json
from newscat.core.registry import RNN_CELLS, RUN_KEY
from newscat.core.vocab import (SEQUENCE_LENGTH_KEY, VOCAB_KEY, load_vocabulary, vocabulary_sha256,
                                vocabulary_size)
from newscat.train.resume import (EpochCheckpoint, PerEpochSeed, claim_checkpoint, load_checkpoint,
                                  remove_checkpoint, remove_stale_checkpoints, run_id, run_identity)


@dataclass
class TrainingRun:
    cell: str
    model: keras.Model
    history: list[dict]  # every epoch's logs (loss, accuracy, val_loss, val_accuracy), in order
    best_epoch: int  # 1-based: the epoch whose weights the model holds (EarlyStopping restored them)
    identity: dict  # newscat.train.resume.run_identity
    checkpoint: Path | None
    seconds: float  # of this process's training: epochs after first_epoch
    first_epoch: int  # epochs a resumed checkpoint had done (0: none)
    sequence_length: int  # the token ids' width it was trained on

    def summary(self) -> dict:
        """The DVCLive summary (metrics.json): the kept model, not the last epoch (4 decimals, as
        every metrics file)."""
        kept = self.history[self.best_epoch - 1]
        return {"best_epoch": self.best_epoch, "epochs_run": len(self.history),
                **{name: round(kept[key], 4) for name, key in (("val_loss", "val_loss"), ("val_accuracy", "val_accuracy"),
                                                             ("train_loss", "loss"), ("train_accuracy", "accuracy"))}}


class NonFiniteLoss(PipelineError):
    """Training diverged: the loss is NaN or infinite."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Fail at the first non-finite loss (TerminateOnNaN would stop quietly and save NaN weights)."""

    def __init__(self, learning_rate: float):
        super().__init__()
        self.learning_rate = learning_rate

    def on_epoch_end(self, epoch, logs=None):
        for key in ("loss", "val_loss"):
            value = (logs or {}).get(key)
            if value is not None and not math.isfinite(float(value)):
                raise NonFiniteLoss(
                    f"train: {key} is {float(value)} after epoch {epoch + 1}; training diverged and "
                    f"nothing was saved. Likely cause: train.learning_rate = {self.learning_rate} is "
                    "too high (try 10x lower)")


class RecordHistory(keras.callbacks.Callback):
    def __init__(self, history: list[dict]):
        super().__init__()
        self.history = history

    def on_epoch_end(self, epoch, logs=None):
        del self.history[epoch:]
        self.history.append({k: float(v) for k, v in (logs or {}).items()})


def fit(cell: str, params, checkpoint: Path | None = None) -> TrainingRun:
    """Train one cell on data/vectorized; with a checkpoint folder, resume the same run from it."""
    from newscat.train.training import use_threads

    use_threads(params.train.intra_op_threads, params.train.inter_op_threads)  # before any TensorFlow op
    return fit_arrays(cell, params, load_vectorized("train"), load_vectorized("val"),
                      vocabulary_size(load_vocabulary()), checkpoint)


def fit_arrays(cell: str, params, train: tuple, val: tuple, vocab_size: int, checkpoint: Path | None = None,
               verbose: int | None = None) -> TrainingRun:
    """Train one cell on (ids, labels) arrays: the pipeline's training, also benchmarks/cv.py's.
    Raises NonFiniteLoss if training diverges."""
    from newscat.core.model import build_model
    from newscat.core.vocab import row_lengths
    from newscat.train.distribute import same_on_every_worker, strategy_for
    from newscat.train.training import (BUCKET_BATCHES, compile_model, eval_batches, lever_callbacks,
                                        make_deterministic, steps_per_epoch, train_batches)

    tp, mp = params.train, params.model
    make_deterministic(tp.seed)
    (x_train, y_train), (x_val, y_val) = train, val
    if tp.batch_size > len(x_train):  # every batch would be the whole (repeated) split: not what was asked
        raise PipelineError(f"train.batch_size = {tp.batch_size} is more than the {len(x_train)} training rows; "
                            f"valid: an integer in [1, {len(x_train)}]")
    # model.cell only picks evaluate's headline model: not part of what this training computes.
    identity = run_identity(cell, (tp, mp.model_copy(update={"cell": ""}), BUCKET_BATCHES, vocab_size),
                            (x_train, y_train, x_val, y_val))
    if checkpoint:
        claim_checkpoint(checkpoint)
        remove_stale_checkpoints({c: {**identity, "cell": c} for c in RNN_CELLS},
                                 root=Path(checkpoint).parent.parent)

    steps = steps_per_epoch(len(x_train), tp.batch_size)
    strategy = strategy_for(tp.distribute)
    with strategy.scope():
        resumed = load_checkpoint(checkpoint, identity) if checkpoint else None
        if not same_on_every_worker(strategy, resumed[1]["epochs_done"] if resumed else -1):
            print("resume: the workers' checkpoints end at different epochs; every worker trains from epoch 1")
            resumed = None
        if resumed:
            model, state = resumed
            print(f"resume: continuing {cell} after epoch {state['epochs_done']} from {checkpoint}")
        else:
            model, state = build_model(cell, vocab_size, mp.embedding_dim, mp.units, mp.dropout,
                                       seed=tp.seed, spatial_dropout=mp.spatial_dropout,
                                       attention_projections=mp.attention_projections), None
            compile_model(model, tp.learning_rate, tp, steps_per_epoch=steps)
    if tp.use_ema:  # what train.ema_epochs means at this data size
        print(f"train: weights averaged over {tp.ema_epochs:g} epochs: EMA momentum "
              f"{float(model.optimizer.ema_momentum):.4f} per step, {steps} steps per epoch")
    first_epoch = state["epochs_done"] if state else 0
    # Killed after early stopping (or the last epoch) but before saving: train no further.
    last_epoch = first_epoch if state and state.get("stopped") else tp.epochs
    history = list(state["history"]) if state else []

    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=tp.patience,
                                                   restore_best_weights=True)
    # The levers' callbacks (EMA: validate and keep the averaged weights) go before EarlyStopping.
    levers = lever_callbacks(tp)
    callbacks = [StopOnNonFiniteLoss(tp.learning_rate), PerEpochSeed(tp.seed), *levers, early_stopping,
                 RecordHistory(history)]
    if checkpoint:
        callbacks.append(EpochCheckpoint(checkpoint, early_stopping, identity, history, state,
                                         ema_swap=levers[0] if levers else None))
    by_length = np.argsort(row_lengths(x_val), kind="stable")  # less padding; same loss and accuracy
    start = time.perf_counter()
    try:
        model.fit(train_batches(x_train, y_train, tp.batch_size, tp.seed, first_epoch, tp.epochs),
                  steps_per_epoch=steps,
                  initial_epoch=first_epoch, epochs=last_epoch,
                  validation_data=eval_batches(x_val[by_length], y_val[by_length]), callbacks=callbacks,
                  shuffle=False, verbose=(1 if sys.stdout.isatty() else 2) if verbose is None else verbose)
    except NonFiniteLoss:
        if checkpoint:  # resuming would only diverge again
            remove_checkpoint(checkpoint)
        raise
    return TrainingRun(cell, model, history, early_stopping.best_epoch + 1, identity,
                       Path(checkpoint) if checkpoint else None, time.perf_counter() - start, first_epoch,
                       int(x_train.shape[1]))


def save_model(run: TrainingRun, model_file: Path, weights_file: Path) -> None:
    """The .keras archive (with optimizer state; same model -> same bytes) and the weights."""
    run.model.save(model_file)  # metadata: the run, and the models/vocab.txt it was trained with
    make_keras_archive_reproducible(model_file, {RUN_KEY: run_id(run.identity), VOCAB_KEY: vocabulary_sha256(),
                                                 SEQUENCE_LENGTH_KEY: run.sequence_length})
    run.model.save_weights(weights_file)


def write_dvclive(run: TrainingRun, plots: Path, metrics: Path) -> None:
    """DVCLive's per-epoch `plots` folder of the whole run (resumed epochs included) and `metrics`
    (the summary); not their folder, which holds the .gitignore DVC writes."""
    from dvclive.keras import DVCLiveCallback

    from dvclive import Live

    with tempfile.TemporaryDirectory(dir=Path(plots).parent) as scratch:
        live = Live(scratch, dvcyaml=False, save_dvc_exp=False)
        replay = DVCLiveCallback(live=live)
        for epoch, logs in enumerate(run.history):
            replay.on_epoch_end(epoch, logs)
        live.end()
        shutil.move(Path(scratch) / "plots", plots)
    write_json(Path(metrics), run.summary())


def discard_checkpoint(run: TrainingRun) -> None:
    """After the outputs are in place: the checkpoint has served its purpose."""
    if run.checkpoint:
        remove_checkpoint(run.checkpoint)


def report(run: TrainingRun) -> str:
    s = run.summary()
    resumed = f" (epochs {run.first_epoch + 1}-{s['epochs_run']}: resumed)" if run.first_epoch else ""
    return (f"train_{run.cell}: {run.seconds:.1f} s of training{resumed}; kept epoch {s['best_epoch']} of "
            f"{s['epochs_run']} (val_loss {s['val_loss']:.4f}, val_accuracy {s['val_accuracy']:.4f})")
