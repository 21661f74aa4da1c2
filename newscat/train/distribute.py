"""train.distribute -> a tf.distribute strategy; the model is built inside its scope.

none: the default strategy (one device). mirrored: MirroredStrategy over the visible GPUs
(or over logical CPU devices in tests). multi_worker: MultiWorkerMirroredStrategy, workers
read from the TF_CONFIG environment variable. train.batch_size stays the global batch size.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from newscat.core.errors import PipelineError


class KerasMultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """MultiWorkerMirroredStrategy that Keras 3's fit can use (keras-team/keras#20585). fit's two
    failing reduces (Keras 3.15, TF 2.21): a nested (x, y) batch, reduced only to trace the model,
    gives this worker's own leaves; a scalar log reduced on axis 0 is averaged with axis=None, so
    every worker gets the same logs and EarlyStopping stops all at one epoch."""

    def reduce(self, reduce_op, value, axis):
        if tf.nest.is_nested(value):
            return tf.nest.map_structure(lambda v: self.experimental_local_results(v)[0], value)
        if axis is not None and self.experimental_local_results(value)[0].shape.rank == 0:
            axis = None
        return super().reduce(reduce_op, value, axis)


def strategy_for(distribute: str) -> tf.distribute.Strategy:
    if distribute == "none":
        return tf.distribute.get_strategy()
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise PipelineError("train.distribute: multi_worker needs the TF_CONFIG environment "
                                "variable (cluster workers and this task's index); see README")
        return KerasMultiWorkerMirroredStrategy()
    raise PipelineError(f"train.distribute: {distribute!r} is not one of none, mirrored, multi_worker")


def _tf_config() -> dict:
    return json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")


def is_chief() -> bool:
    """Whether this process keeps the outputs: the chief, worker 0 without one, or no TF_CONFIG."""
    config = _tf_config()
    task = config.get("task") or {"type": "chief"}
    return task.get("type") == "chief" or (task.get("type") == "worker" and int(task.get("index", 0)) == 0
                                           and "chief" not in config.get("cluster", {}))


def worker_name() -> str:
    """This process's task in TF_CONFIG (e.g. worker-1; worker-0 without): its checkpoint folder."""
    task = _tf_config().get("task", {})
    return f"{task.get('type', 'worker')}-{int(task.get('index', 0))}" if task else "worker-0"


def same_on_every_worker(strategy: tf.distribute.Strategy, value: int) -> bool:
    """Whether every worker passes the same small integer: n * sum(v^2) == sum(v)^2 (one collective)."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    local = tf.constant([float(value), float(value) ** 2, 1.0])
    total = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.identity(local)), axis=None)
    sum_v, sum_v2, n = (float(t) for t in total.numpy())
    return n * sum_v2 == sum_v * sum_v
