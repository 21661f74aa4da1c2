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

CELLS = {"lstm": layers.LSTM, "gru": layers.GRU}
MASKED_SCORE = -1e9  # added to scores of padded keys: exp() underflows to exactly 0 in float32


@keras.saving.register_keras_serializable(package="newscat")
class ScaledDotProductSelfAttention(layers.Layer):
    """softmax(Q Kᵀ / √d) · V with Q = K = V = the layer's input (the RNN's outputs).

    No learned projections: the RNN below already learns the representation; the layer only
    lets every position look at every real (unpadded) position. Padded positions are masked
    out of the keys, and the input mask is passed on so the pooling after it skips them too.
    Call with return_attention_scores=True to also get the [batch, query, key] weights.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None, return_attention_scores=False):
        depth = ops.cast(ops.shape(inputs)[-1], inputs.dtype)
        scores = ops.matmul(inputs, ops.transpose(inputs, (0, 2, 1))) / ops.sqrt(depth)
        if mask is not None:
            key_is_real = ops.expand_dims(ops.cast(mask, "bool"), axis=1)  # [batch, 1, key]
            scores = ops.where(key_is_real, scores, ops.cast(MASKED_SCORE, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        outputs = ops.matmul(weights, inputs)
        return (outputs, weights) if return_attention_scores else outputs

    def compute_mask(self, inputs, mask=None):
        return mask


def build_model(cell: str, vocab_size: int, embedding_dim: int, units: int, dropout: float,
                seed: int = 0) -> keras.Model:
    """An uncompiled attention RNN classifier over int32 token ids of any length."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")(token_ids)
    x = layers.Bidirectional(CELLS[cell](units, return_sequences=True), name=f"bi_{cell}")(x)
    x = ScaledDotProductSelfAttention(name="attention")(x)
    x = layers.GlobalAveragePooling1D(name="masked_mean")(x)
    x = layers.Dropout(dropout, seed=seed, name="dropout")(x)
    probabilities = layers.Dense(len(CLASS_NAMES), activation="softmax", name="probabilities")(x)
    return keras.Model(token_ids, probabilities, name=f"{cell}_attention")


def attention_model(model: keras.Model) -> keras.Model:
    """A second model sharing `model`'s layers that outputs (probabilities, attention weights)."""
    attention = model.get_layer("attention")
    rnn_outputs = attention.input
    _, weights = attention(rnn_outputs, return_attention_scores=True)
    return keras.Model(model.inputs, [model.outputs[0], weights])
