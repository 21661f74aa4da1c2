"""train.distribute -> a tf.distribute strategy; the model is built inside its scope.

none: the default strategy (one device). mirrored: MirroredStrategy over the visible GPUs
(or over logical CPU devices in tests). multi_worker: MultiWorkerMirroredStrategy, workers
read from the TF_CONFIG environment variable. train.batch_size stays the global batch size.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from newscat.errors import PipelineError


def strategy_for(distribute: str) -> tf.distribute.Strategy:
    if distribute == "none":
        return tf.distribute.get_strategy()
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise PipelineError("train.distribute: multi_worker needs the TF_CONFIG environment "
                                "variable (cluster workers and this task's index); see README")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise PipelineError(f"train.distribute: {distribute!r} is not one of none, mirrored, multi_worker")


def is_chief() -> bool:
    """Whether this process writes the outputs. Under multi_worker every worker trains and must
    take part in saving, but only the chief (task type chief, or worker 0 when the cluster has
    no chief) keeps what it saves; with no TF_CONFIG the one process is the chief."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    if not task:
        return True
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0 and "chief" not in config.get("cluster", {})


def worker_name() -> str:
    """This process's task in TF_CONFIG (e.g. worker-1), worker-0 without TF_CONFIG: the name
    of its own checkpoint folder, so workers sharing a disk never overwrite each other's."""
    task = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}").get("task", {})
    return f"{task.get('type', 'worker')}-{int(task.get('index', 0))}" if task else "worker-0"


def same_on_every_worker(strategy: tf.distribute.Strategy, value: int) -> bool:
    """Whether every worker passes the same value (e.g. the epoch it would resume after); one
    collective under multi_worker, trivially true otherwise. n * sum(v^2) == sum(v)^2 holds
    only when all v are equal (all small integers: exact in float32)."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    local = tf.constant([float(value), float(value) ** 2, 1.0])
    total = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.identity(local)), axis=None)
    sum_v, sum_v2, n = (float(t) for t in total.numpy())
    return n * sum_v2 == sum_v * sum_v
