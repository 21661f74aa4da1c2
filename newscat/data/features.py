"""Cleaned text -> integer sequences with keras.layers.TextVectorization (vocabulary from train
only; the id conventions are newscat.core.vocab's).

A text with no token at all still gets one [UNK] (`unk_for_empty_rows`, the one definition of
that rule, also used in the exported graph) so that every row keeps at least one unmasked
position (a fully masked row would make the masked mean pooling divide by zero).
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from newscat.core.vocab import OOV_ID, PAD_ID


def _text_vectorization(seq_len: int, max_tokens: int | None = None, vocabulary=None, standardize=None):
    import keras

    # Training reads cleaned text (data/clean, newscat.data.text.standardize): no standardize
    # then, only the whitespace split. The exported raw-string model passes that function.
    return keras.layers.TextVectorization(
        max_tokens=max_tokens, standardize=standardize, split="whitespace",
        output_mode="int", output_sequence_length=seq_len, vocabulary=vocabulary,
    )


def fit_vocabulary(train_texts: Sequence[str], max_tokens: int, min_freq: int = 1) -> list[str]:
    """The (max_tokens - RESERVED_TOKENS) most frequent train tokens, most frequent first, less those seen
    fewer than min_freq times (TextVectorization has no minimum count: filtered after adapt)."""
    layer = _text_vectorization(seq_len=1, max_tokens=max_tokens)
    layer.adapt(np.asarray(train_texts, dtype=object), batch_size=4096)
    vocabulary = layer.get_vocabulary(include_special_tokens=False)
    if min_freq <= 1:
        return vocabulary
    counts = Counter(token for text in train_texts for token in text.split())
    return [token for token in vocabulary if counts[token] >= min_freq]


def make_encoder(vocabulary: Sequence[str], seq_len: int, standardize=None):
    return _text_vectorization(seq_len=seq_len, vocabulary=list(vocabulary), standardize=standardize)


def unk_for_empty_rows(ids):
    """int32 ids [batch, seq_len] (tf.Tensor) with PAD_ID in the first column replaced by OOV_ID:
    a row with no token reads as one [UNK]. Used by `encode` and inside the exported graph."""
    import tensorflow as tf

    ids = tf.cast(ids, tf.int32)
    first = ids[:, :1]
    return tf.concat([tf.where(first == PAD_ID, OOV_ID, first), ids[:, 1:]], axis=1)


def encode(encoder, texts: Sequence[str], batch_size: int = 8192) -> np.ndarray:
    """int32 [len(texts), seq_len]; rows with no token start with [UNK] instead of padding."""
    parts = [np.asarray(unk_for_empty_rows(encoder(np.asarray(texts[i:i + batch_size], dtype=object))))
             for i in range(0, len(texts), batch_size)]
    return (np.concatenate(parts) if parts
            else np.zeros((0, encoder.get_config()["output_sequence_length"]), np.int32))
