"""Input pipelines, thread pools and compile settings of the attention RNNs (the loop: fit.py).
Epoch e's batches are a pure function of (seed, e), so a resumed run sees the same batches.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import tensorflow as tf

from newscat.core.vocab import PAD_ID, row_lengths  # noqa: F401  (row_lengths: used by the fit loop)

VAL_BATCH = 1024  # evaluation batch: no gradients, so bigger batches are only faster
# Train batches are sorted by length within windows of this many batches (0: off), so that
# trimming each batch to its longest row removes most padding: ~1.6-2x fewer RNN time steps.
BUCKET_BATCHES = 16

# Fixed sizes, not AUTOTUNE: with it, deleting fit's finished iterator sometimes blocked ~40 s.
PARALLEL_CALLS = 2
PREFETCH_BATCHES = 2
NO_AUTOTUNE = tf.data.Options()
NO_AUTOTUNE.autotune.enabled = False
# multi_worker: every worker runs the same seeded pipeline; DATA sharding keeps each worker's
# share of every global batch, so each row is trained on once per epoch across the workers.
NO_AUTOTUNE.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA


def trim_padding(x, y):
    """Cut a right-padded batch to its longest real row (results identical: padding is masked)."""
    longest = tf.reduce_max(tf.reduce_sum(tf.cast(x != PAD_ID, tf.int32), axis=1))
    return x[:, :tf.maximum(longest, 1)], y


def epoch_batches(lengths: tf.Tensor, batch_size: int, seed: int, epoch,
                  bucket_batches: int = 0) -> tf.data.Dataset:
    """Row indices of epoch `epoch`, one vector per batch: a pure function of (seed, epoch).
    With bucket_batches > 0 the shuffled rows are sorted by length within windows of that many
    batches and the batches shuffled again: similar lengths meet, so trimming removes padding."""
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


def steps_per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / batch_size)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask: taskset, cgroup cpusets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_threads(intra_op: int | str, inter_op: int | str, cores: int | None = None) -> tuple[int, int]:
    """train.*_op_threads -> TensorFlow pool sizes (0: its default). auto: on <= 2 cores 1 intra-op
    and 2 inter-op threads, so the two RNN directions run side by side (~12% faster there);
    on more cores TensorFlow's default."""
    cores = available_cores() if cores is None else cores
    small = cores <= 2
    intra = (1 if small else 0) if intra_op == "auto" else int(intra_op)
    inter = (2 if small else 0) if inter_op == "auto" else int(inter_op)
    return intra, inter


def use_threads(intra_op: int | str, inter_op: int | str) -> tuple[int, int]:
    """Size TensorFlow's CPU thread pools (resolve_threads) before its first op; later: a warning."""
    intra, inter = resolve_threads(intra_op, inter_op)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        print(f"warning: TensorFlow is already running; train.intra_op_threads={intra_op} and "
              f"train.inter_op_threads={inter_op} apply from the next process on", file=sys.stderr)
    return intra, inter


def make_deterministic(seed: int) -> None:
    """Same params, same machine -> same weights and metrics, to the last digit."""
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    import keras

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def ema_momentum(horizon_epochs: float, steps_per_epoch: int) -> float:
    """Keras' per-step EMA momentum whose average spans `horizon_epochs` epochs: an average
    with momentum m spans about 1 / (1 - m) steps."""
    return max(0.0, 1.0 - 1.0 / (horizon_epochs * steps_per_epoch))


def compile_model(model, learning_rate: float, levers=None, steps_per_epoch: int | None = None) -> None:
    """Adam and cross-entropy, with the train group's levers (None: all off): use_ema/ema_epochs,
    label_smoothing, weight_decay (AdamW), lr_schedule; both counted in epochs (steps_per_epoch)."""
    import keras

    from newscat.core.model import SparseSmoothedCrossentropy

    use_ema = bool(getattr(levers, "use_ema", False))
    smoothing = getattr(levers, "label_smoothing", 0.0)
    weight_decay = getattr(levers, "weight_decay", 0.0)
    rate = learning_rate
    if (use_ema or getattr(levers, "lr_schedule", "none") == "cosine") and not steps_per_epoch:
        raise ValueError("train.use_ema and lr_schedule 'cosine' are counted in epochs: they need steps_per_epoch")
    if getattr(levers, "lr_schedule", "none") == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps_per_epoch * levers.epochs)
    ema = {"use_ema": True, "ema_momentum": ema_momentum(levers.ema_epochs, steps_per_epoch)} if use_ema else {}
    optimizer = (keras.optimizers.AdamW(rate, weight_decay=weight_decay, **ema) if weight_decay
                 else keras.optimizers.Adam(rate, **ema))
    loss = SparseSmoothedCrossentropy(smoothing) if smoothing else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])


def lever_callbacks(levers) -> list:
    """Callbacks to go before EarlyStopping. use_ema: validate with the averaged weights, so early
    stopping judges and restores them (between epochs the model holds them, the optimizer the raw ones)."""
    import keras

    return [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if getattr(levers, "use_ema", False) else []
