"""The classifier, top to bottom: one builder for both cells (lstm, gru).

    token ids -> Embedding(mask_zero) -> Bidirectional LSTM|GRU (all time steps)
              -> scaled dot-product self-attention (padded keys masked out)
              -> masked GlobalAveragePooling1D (padding excluded from the mean)
              -> Dropout -> Dense(4, softmax)

The input length is left open (None) so a batch can be trimmed to its longest real text:
padding only ever sits at the end, and every layer after the embedding ignores it.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from newscat import CLASS_NAMES
from newscat.registry import RNN_CELLS, RNN_LAYER

CELLS = {cell: getattr(layers, RNN_LAYER[cell]) for cell in RNN_CELLS}  # cell -> Keras RNN layer
MASKED_SCORE = -1e9  # added to scores of padded keys: exp() underflows to exactly 0 in float32


@keras.saving.register_keras_serializable(package="newscat")
class ScaledDotProductSelfAttention(layers.Layer):
    """softmax(Q Kᵀ / √d) · V with Q = K = V = the layer's input (the RNN's outputs).

    No learned projections: the RNN below already learns the representation; the layer only
    lets every position look at every real (unpadded) position. Padded positions are masked
    out of the keys, and the input mask is passed on so the pooling after it skips them too.
    With return_attention_scores=True it also returns the [batch, query, key] weights.
    """

    def __init__(self, return_attention_scores: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.return_attention_scores = return_attention_scores

    def get_config(self):
        return {**super().get_config(), "return_attention_scores": self.return_attention_scores}

    def call(self, inputs, mask=None):
        depth = ops.cast(ops.shape(inputs)[-1], inputs.dtype)
        scores = ops.matmul(inputs, ops.transpose(inputs, (0, 2, 1))) / ops.sqrt(depth)
        if mask is not None:
            key_is_real = ops.expand_dims(ops.cast(mask, "bool"), axis=1)  # [batch, 1, key]
            scores = ops.where(key_is_real, scores, ops.cast(MASKED_SCORE, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        outputs = ops.matmul(weights, inputs)
        return (outputs, weights) if self.return_attention_scores else outputs

    def compute_mask(self, inputs, mask=None):
        return mask


def build_model(cell: str, vocab_size: int, embedding_dim: int, units: int, dropout: float,
                seed: int = 0) -> keras.Model:
    """An uncompiled attention RNN classifier over int32 token ids of any length."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, embedding_dim, mask_zero=True,  # masks newscat.features.PAD_ID (0)
                         name="embedding")(token_ids)
    x = layers.Bidirectional(CELLS[cell](units, return_sequences=True), name=f"bi_{cell}")(x)
    x = ScaledDotProductSelfAttention(name="attention")(x)
    x = layers.GlobalAveragePooling1D(name="masked_mean")(x)
    x = layers.Dropout(dropout, seed=seed, name="dropout")(x)
    probabilities = layers.Dense(len(CLASS_NAMES), activation="softmax", name="probabilities")(x)
    return keras.Model(token_ids, probabilities, name=f"{cell}_attention")


def attention_model(model: keras.Model) -> keras.Model:
    """A second model, sharing `model`'s layers and weights, that outputs
    (probabilities, attention weights [batch, query, key]).

    The attention layer has no weights, so a twin instance that also returns its weights
    computes exactly what the trained one does (Keras cannot give one layer a second,
    differently shaped output)."""
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = model.get_layer("embedding")(token_ids)
    x = next(layer for layer in model.layers if layer.name.startswith("bi_"))(x)
    x, weights = ScaledDotProductSelfAttention(return_attention_scores=True, name="attention")(x)
    x = model.get_layer("masked_mean")(x)
    x = model.get_layer("dropout")(x)
    probabilities = model.get_layer("probabilities")(x)
    return keras.Model(token_ids, [probabilities, weights], name=f"{model.name}_with_attention")
