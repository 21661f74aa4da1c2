"""Training input pipelines and the fit loop shared by train_lstm, train_gru and the tests.

Determinism: `keras.utils.set_random_seed` + op determinism, and the shuffle order of epoch e
is a pure function of (seed, e) (stateless shuffle), not of how many epochs this process has
already run, so a run resumed at epoch e sees exactly the batches an uninterrupted run sees.
"""

from __future__ import annotations

import math
import os
import sys
import weakref
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

VAL_BATCH = 1024  # evaluation batch: no gradients, so bigger batches are only faster
# Train batches are sorted by length within windows of this many batches (0: off), so that
# trimming each batch to its longest row removes most padding: ~1.6-2x fewer RNN time steps.
BUCKET_BATCHES = 16
# Inference batches are cut to a multiple of this many tokens: few distinct shapes to compile.
LENGTH_STEP = 8

# Fixed input-pipeline sizes instead of tf.data AUTOTUNE: the input work (a gather and a trim
# per batch) is tiny next to a training step, and with AUTOTUNE on, deleting the finished
# iterator at the end of model.fit sometimes blocked for ~40 s (the autotuner's sleeping
# thread), once per training.
PARALLEL_CALLS = 2
PREFETCH_BATCHES = 2
NO_AUTOTUNE = tf.data.Options()
NO_AUTOTUNE.autotune.enabled = False


def trim_padding(x, y):
    """Cut a right-padded batch to its longest real row (results identical: padding is masked)."""
    longest = tf.reduce_max(tf.reduce_sum(tf.cast(x != 0, tf.int32), axis=1))
    return x[:, :tf.maximum(longest, 1)], y


def row_lengths(x: np.ndarray) -> np.ndarray:
    """Real tokens per row (rows are right-padded with the padding id 0)."""
    return np.count_nonzero(x, axis=1).astype(np.int64)


def epoch_batches(lengths: tf.Tensor, batch_size: int, seed: int, epoch,
                  bucket_batches: int = 0) -> tf.data.Dataset:
    """Row indices of epoch `epoch`, one vector per batch: a pure function of (seed, epoch).

    The rows are shuffled with the stateless seed (seed, epoch). With bucket_batches > 0,
    that order is cut into windows of bucket_batches * batch_size rows, each window is
    sorted by row length (stable sort), cut into batches, and the epoch's batches are
    shuffled again (seed folded from (seed, epoch)). A batch then holds rows of similar
    length, so trimming it to its longest row removes most of the padding, while which rows
    meet in a batch is still drawn afresh every epoch.
    """
    n = int(lengths.shape[0])
    pair = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=pair)
    if bucket_batches <= 0:
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    window = batch_size * bucket_batches
    longest = tf.reduce_max(lengths) + 1
    key = tf.cast(tf.range(n) // window, tf.int64) * longest + tf.gather(lengths, order)
    order = tf.gather(order, tf.argsort(key, stable=True))
    batch_order = tf.random.experimental.stateless_shuffle(
        tf.range(math.ceil(n / batch_size)), seed=tf.random.experimental.stateless_fold_in(pair, 1))
    return (tf.data.Dataset.from_tensor_slices(batch_order)
            .map(lambda b: order[b * batch_size:tf.minimum((b + 1) * batch_size, n)]))


def train_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int,
                  first_epoch: int, epochs: int, bucket_batches: int | None = None) -> tf.data.Dataset:
    """Shuffled, padding-trimmed batches for epochs [first_epoch, epochs); epoch e depends on (seed, e) only."""
    bucket_batches = BUCKET_BATCHES if bucket_batches is None else bucket_batches
    x_all, y_all = tf.constant(x), tf.constant(y)
    lengths = tf.constant(row_lengths(x))

    def one_epoch(epoch):
        return epoch_batches(lengths, batch_size, seed, epoch, bucket_batches)

    def gather(idx):
        return tf.gather(x_all, idx), tf.gather(y_all, idx)

    return (tf.data.Dataset.range(first_epoch, epochs).flat_map(one_epoch)
            .map(gather, num_parallel_calls=PARALLEL_CALLS, deterministic=True)
            .map(trim_padding, num_parallel_calls=PARALLEL_CALLS, deterministic=True)
            .prefetch(PREFETCH_BATCHES).with_options(NO_AUTOTUNE))


def eval_batches(x: np.ndarray, y: np.ndarray | None = None, batch_size: int = VAL_BATCH) -> tf.data.Dataset:
    y = np.zeros(len(x), np.int64) if y is None else y
    return (tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
            .map(trim_padding).prefetch(PREFETCH_BATCHES).with_options(NO_AUTOTUNE))


_FORWARD = weakref.WeakKeyDictionary()  # model -> its compiled forward pass, reused across calls


def predict_by_length(model, x: np.ndarray, batch_size: int = VAL_BATCH) -> np.ndarray:
    """Class probabilities of every row of x (in x's order), fast: rows are taken in order of
    length so each batch holds similar lengths, each batch is cut to its longest row rounded
    up to a multiple of LENGTH_STEP (padding is masked: the same probabilities to ~1e-6), and
    the forward pass is XLA-compiled once per batch shape (a handful) and kept for later calls.
    On 2 CPU cores: ~1.5-2x model.predict once compiled; the first call pays ~1 s per shape."""
    if model not in _FORWARD:
        _FORWARD[model] = tf.function(lambda ids: model(ids, training=False), jit_compile=True)
    forward = _FORWARD[model]
    order = np.argsort(row_lengths(x), kind="stable")
    out = np.empty((len(x), model.output_shape[-1]), np.float32)
    for start in range(0, len(x), batch_size):
        rows = order[start:start + batch_size]
        longest = max(int(row_lengths(x[rows]).max()), 1)
        width = min(x.shape[1], -(-longest // LENGTH_STEP) * LENGTH_STEP)
        out[rows] = forward(tf.constant(x[rows, :width], tf.int32)).numpy()
    return out


def steps_per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / batch_size)


def use_threads(intra_op: int, inter_op: int) -> None:
    """Size TensorFlow's CPU thread pools (0: its default). Only a process that has not run any
    TensorFlow op yet can change them; later calls with other sizes keep the first and warn."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:
        print(f"warning: TensorFlow is already running; train.intra_op_threads={intra_op} and "
              f"train.inter_op_threads={inter_op} apply from the next process on", file=sys.stderr)


def make_deterministic(seed: int) -> None:
    """Same params, same machine -> same weights and metrics, to the last digit."""
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    import keras

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


@dataclass(frozen=True)
class FitConfig:
    learning_rate: float
    batch_size: int
    epochs: int
    patience: int
    seed: int


def compile_model(model, learning_rate: float, levers=None, total_steps: int | None = None) -> None:
    """Adam and cross-entropy; `levers` (the train params group, or anything with the same
    fields; None: all off) adds train.use_ema / ema_momentum, label_smoothing, weight_decay
    (AdamW) and lr_schedule ('cosine' decays to 0 over total_steps = epochs x steps per epoch)."""
    import keras

    from newscat.model import SparseSmoothedCrossentropy

    use_ema = bool(getattr(levers, "use_ema", False))
    smoothing = getattr(levers, "label_smoothing", 0.0)
    weight_decay = getattr(levers, "weight_decay", 0.0)
    rate = learning_rate
    if getattr(levers, "lr_schedule", "none") == "cosine":
        if not total_steps:
            raise ValueError("lr_schedule 'cosine' needs total_steps (epochs x steps per epoch)")
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total_steps)
    ema = {"use_ema": True, "ema_momentum": levers.ema_momentum} if use_ema else {}
    optimizer = (keras.optimizers.AdamW(rate, weight_decay=weight_decay, **ema) if weight_decay
                 else keras.optimizers.Adam(rate, **ema))
    loss = SparseSmoothedCrossentropy(smoothing) if smoothing else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])


def lever_callbacks(levers, resumed: bool = False) -> list:
    """Callbacks the levers need, to go *before* EarlyStopping in the callback list.

    use_ema: validate with the averaged weights and hand those to EarlyStopping at every
    epoch end, so early stopping judges, and restores, the averaged weights. Between an epoch's
    end and the next one's start the model holds the averaged weights and the optimizer the
    raw ones: a model saved at an epoch end (a resume checkpoint) is in that state, so pass
    resumed=True when continuing from one and the raw weights are swapped back in first."""
    import keras

    if not getattr(levers, "use_ema", False):
        return []
    swap = keras.callbacks.SwapEMAWeights(swap_on_epoch=True)
    swap._ema_weights_in_model = resumed
    return [swap]
