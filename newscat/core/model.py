"""The classifier, top to bottom: one builder for both cells (lstm, gru).

    token ids -> Embedding(mask_zero) [-> SpatialDropout1D] -> Bidirectional LSTM|GRU (all time steps)
              -> scaled dot-product self-attention (padded keys masked out; optional Q/K/V)
              -> masked GlobalAveragePooling1D (padding excluded from the mean)
              -> Dropout -> Dense(4, softmax)

The input length is left open (None) so a batch can be trimmed to its longest real text:
padding only ever sits at the end, and every layer after the embedding ignores it.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from newscat.core.registry import CLASS_NAMES, RNN_CELLS, RNN_LAYER

CELLS = {cell: getattr(layers, RNN_LAYER[cell]) for cell in RNN_CELLS}  # cell -> Keras RNN layer
MASKED_SCORE = -1e9  # added to scores of padded keys: exp() underflows to exactly 0 in float32


@keras.saving.register_keras_serializable(package="newscat")
class ScaledDotProductSelfAttention(layers.Layer):
    """softmax(Q Kᵀ / √d) · V with Q = K = V = the RNN's outputs (projections=True: learned Dense
    Q/K/V, as in the origin notebook). Padded keys are masked out and the mask passed on;
    return_attention_scores=True also returns the [batch, query, key] weights."""

    def __init__(self, return_attention_scores: bool = False, projections: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.return_attention_scores = return_attention_scores
        self.projections = projections

    def build(self, input_shape):
        if self.projections:
            depth = input_shape[-1]
            self.query, self.key, self.value = (layers.Dense(depth, name=n) for n in ("query", "key", "value"))
            for projection in (self.query, self.key, self.value):
                projection.build(input_shape)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "return_attention_scores": self.return_attention_scores,
                "projections": self.projections}

    def call(self, inputs, mask=None):
        q, k, v = ((self.query(inputs), self.key(inputs), self.value(inputs)) if self.projections
                   else (inputs, inputs, inputs))
        depth = ops.cast(ops.shape(inputs)[-1], inputs.dtype)
        scores = ops.matmul(q, ops.transpose(k, (0, 2, 1))) / ops.sqrt(depth)
        if mask is not None:
            key_is_real = ops.expand_dims(ops.cast(mask, "bool"), axis=1)  # [batch, 1, key]
            scores = ops.where(key_is_real, scores, ops.cast(MASKED_SCORE, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        outputs = ops.matmul(weights, v)
        return (outputs, weights) if self.return_attention_scores else outputs

    def compute_mask(self, inputs, mask=None):
        return mask


@keras.saving.register_keras_serializable(package="newscat")
class SparseSmoothedCrossentropy(keras.losses.Loss):
    """Cross-entropy against integer labels with label smoothing (Keras' sparse loss has none)."""

    def __init__(self, label_smoothing: float = 0.0, name: str = "sparse_smoothed_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}

    def call(self, y_true, y_pred):
        one_hot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), ops.shape(y_pred)[-1])
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=self.label_smoothing)


def build_model(cell: str, vocab_size: int, embedding_dim: int, units: int, dropout: float,
                seed: int = 0, spatial_dropout: float = 0.0,
                attention_projections: bool = False) -> keras.Model:
    """An uncompiled attention RNN classifier over int32 token ids of any length."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, embedding_dim, mask_zero=True,  # masks newscat.core.vocab.PAD_ID (0)
                         name="embedding")(token_ids)
    if spatial_dropout:
        x = layers.SpatialDropout1D(spatial_dropout, seed=seed, name="embedding_dropout")(x)
    x = layers.Bidirectional(CELLS[cell](units, return_sequences=True), name=f"bi_{cell}")(x)
    x = ScaledDotProductSelfAttention(projections=attention_projections, name="attention")(x)
    x = layers.GlobalAveragePooling1D(name="masked_mean")(x)
    x = layers.Dropout(dropout, seed=seed, name="dropout")(x)
    probabilities = layers.Dense(len(CLASS_NAMES), activation="softmax", name="probabilities")(x)
    return keras.Model(token_ids, probabilities, name=f"{cell}_attention")


def rnn_layer(model: keras.Model) -> layers.Bidirectional:
    """The model's Bidirectional LSTM/GRU (build_model names it bi_<cell>)."""
    return next(layer for layer in model.layers if layer.name.startswith("bi_"))


def model_sizes(model: keras.Model) -> tuple[int, int]:
    """(embedding dimension, units per direction) of a model build_model made."""
    return model.get_layer("embedding").output_dim, rnn_layer(model).forward_layer.units


def attention_model(model: keras.Model) -> keras.Model:
    """A twin of `model` sharing its layers, that outputs (probabilities, attention weights):
    its attention layer also returns its weights and holds the trained one's (if any)."""
    trained = model.get_layer("attention")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = model.get_layer("embedding")(token_ids)
    x = rnn_layer(model)(x)
    twin = ScaledDotProductSelfAttention(return_attention_scores=True, projections=trained.projections,
                                         name="attention")
    x, weights = twin(x)
    twin.set_weights(trained.get_weights())
    x = model.get_layer("masked_mean")(x)
    x = model.get_layer("dropout")(x)
    probabilities = model.get_layer("probabilities")(x)
    return keras.Model(token_ids, [probabilities, weights], name=f"{model.name}_with_attention")
