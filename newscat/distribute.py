"""train.distribute -> a tf.distribute strategy; the model is built inside its scope.

none: the default strategy (one device). mirrored: MirroredStrategy over the visible GPUs
(or over logical CPU devices in tests). multi_worker: MultiWorkerMirroredStrategy, workers
read from the TF_CONFIG environment variable. train.batch_size stays the global batch size.
"""

from __future__ import annotations

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
