"""The one inference path, used by evaluate, predict, the attention figure and the benchmark:
models loaded by name, rows -> class probabilities. Rows go in order of length, each batch cut
to a LENGTH_STEP multiple of its longest row (padding is masked), the forward pass XLA-compiled
once per shape: ~1.5-2x model.predict on 2 CPU cores.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.io import require_file
from newscat.core.registry import BASELINE, BASELINE_FILE, STAGE_OF, keras_model_path
from newscat.core.vocab import row_lengths

BATCH = 1024  # no gradients: bigger batches are only faster
LENGTH_STEP = 8  # batches are cut to a multiple of this many tokens: few shapes to compile

_FORWARD = weakref.WeakKeyDictionary()  # model -> its compiled forward pass, reused across calls
_WITH_ATTENTION = weakref.WeakKeyDictionary()  # model -> its twin that also returns attention


def load_model(name: str, root: Path = Path(".")):
    """A trained model by name (newscat.core.registry.MODELS) from the project at root; a clear
    error naming the file and the stage to run if it is missing, damaged or unreadable."""
    relative = BASELINE_FILE if name == BASELINE else keras_model_path(name)
    path = root / relative
    where = "" if root == Path(".") else f" in {root}"  # DVC's commands run in the project
    hint = f"run `dvc repro {STAGE_OF[name]}` (or `dvc checkout --force {relative}`){where}"
    require_file(path, hint)
    try:
        if name == BASELINE:
            import joblib

            return joblib.load(path)
        import keras

        import newscat.core.model  # noqa: F401  (registers the custom attention layer)

        return keras.models.load_model(path)
    except Exception as exc:  # a truncated or empty file, a permission: the libraries raise many types
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__)
        raise PipelineError(f"{path}: cannot be loaded as a model ({reason}); {hint}") from None


def class_probabilities(name: str, model, ids: np.ndarray | None = None, cleaned: Sequence[str] | None = None
                  ) -> np.ndarray:
    """Class probabilities float [rows, classes] of one model (newscat.registry.MODELS): the
    baseline reads the cleaned texts, an attention RNN their token ids (same rows, same order)."""
    if name == BASELINE:
        return model.predict_proba(list(cleaned))
    return predict_by_length(model, ids)


def ensemble_probabilities(probabilities: list[np.ndarray]) -> np.ndarray:
    """The ensemble's class probabilities: the mean of the models' ([rows, classes] each);
    its prediction is their argmax, so a confident model can outvote two hesitant ones."""
    if not probabilities:
        raise ValueError("an ensemble needs at least one model's probabilities")
    shapes = {p.shape for p in probabilities}
    if len(shapes) != 1:
        raise ValueError(f"the models' probabilities differ in shape: {sorted(shapes)}")
    return np.mean(np.stack(probabilities), axis=0)


def _compiled(model):
    import tensorflow as tf

    if model not in _FORWARD:
        _FORWARD[model] = tf.function(lambda ids: model(ids, training=False), jit_compile=True)
    return _FORWARD[model]


def _batches_by_length(x: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, "tf.Tensor"]]:
    """(row indices, their ids trimmed to a LENGTH_STEP multiple of the longest) per batch."""
    import tensorflow as tf

    order = np.argsort(row_lengths(x), kind="stable")
    for start in range(0, len(x), batch_size):
        rows = order[start:start + batch_size]
        longest = max(int(row_lengths(x[rows]).max()), 1)
        width = min(x.shape[1], -(-longest // LENGTH_STEP) * LENGTH_STEP)
        yield rows, tf.constant(x[rows, :width], tf.int32)


def predict_by_length(model, x: np.ndarray, batch_size: int = BATCH) -> np.ndarray:
    """Class probabilities float32 [len(x), classes] of every row of x, in x's order."""
    forward = _compiled(model)
    out = np.empty((len(x), model.output_shape[-1]), np.float32)
    for rows, ids in _batches_by_length(x, batch_size):
        out[rows] = forward(ids).numpy()
    return out


def predict_with_attention(model, x: np.ndarray, batch_size: int = BATCH) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities [n, classes], attention weights [n, query, key] over x's full width)
    through the same batching as predict_by_length; positions cut off a batch get weight 0.
    The twin model shares the trained layers (newscat.core.model.attention_model)."""
    from newscat.core.model import attention_model

    if model not in _WITH_ATTENTION:
        _WITH_ATTENTION[model] = attention_model(model)
    forward = _compiled(_WITH_ATTENTION[model])
    probabilities = np.empty((len(x), model.output_shape[-1]), np.float32)
    weights = np.zeros((len(x), x.shape[1], x.shape[1]), np.float32)
    for rows, ids in _batches_by_length(x, batch_size):
        p, w = forward(ids)
        width = ids.shape[1]
        probabilities[rows] = p.numpy()
        weights[rows, :width, :width] = w.numpy()
    return probabilities, weights
