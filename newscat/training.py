"""Training input pipelines and the fit loop shared by train_lstm, train_gru and the tests.

Determinism: `keras.utils.set_random_seed` + op determinism, and the shuffle order of epoch e
is a pure function of (seed, e) (stateless shuffle), not of how many epochs this process has
already run, so a run resumed at epoch e sees exactly the batches an uninterrupted run sees.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

VAL_BATCH = 1024  # evaluation batch: no gradients, so bigger batches are only faster


def trim_padding(x, y):
    """Cut a right-padded batch to its longest real row (results identical: padding is masked)."""
    longest = tf.reduce_max(tf.reduce_sum(tf.cast(x != 0, tf.int32), axis=1))
    return x[:, :tf.maximum(longest, 1)], y


def train_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int,
                  first_epoch: int, epochs: int) -> tf.data.Dataset:
    """Shuffled batches for epochs [first_epoch, epochs), epoch e shuffled by seed (seed, e)."""
    n = len(x)
    x_all, y_all = tf.constant(x), tf.constant(y)

    def one_epoch(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=tf.stack([seed, epoch]))
        return (tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
                .map(lambda idx: (tf.gather(x_all, idx), tf.gather(y_all, idx))))

    epochs_ds = tf.data.Dataset.range(first_epoch, epochs)
    return (epochs_ds.flat_map(one_epoch)
            .map(trim_padding, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .prefetch(tf.data.AUTOTUNE))


def eval_batches(x: np.ndarray, y: np.ndarray | None = None, batch_size: int = VAL_BATCH) -> tf.data.Dataset:
    y = np.zeros(len(x), np.int64) if y is None else y
    return (tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
            .map(trim_padding).prefetch(tf.data.AUTOTUNE))


def steps_per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / batch_size)


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


def compile_model(model, learning_rate: float) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
