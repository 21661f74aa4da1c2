"""Tokens -> integer sequences with keras.layers.TextVectorization (vocabulary from train only).

Id 0 is padding and id 1 is [UNK]; models/vocab.txt holds the words from id 2 on, one per line.
A text with no known token at all still gets one [UNK] so that every row keeps at least one
unmasked position (a fully masked row would make the masked mean pooling divide by zero).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from newscat.io import require_file

PAD_ID, OOV_ID = 0, 1
VOCAB_FILE = Path("models/vocab.txt")


def _text_vectorization(seq_len: int, max_tokens: int | None = None, vocabulary=None):
    import keras

    # Cleaning already happened (newscat.text): the layer only splits on whitespace.
    return keras.layers.TextVectorization(
        max_tokens=max_tokens, standardize=None, split="whitespace",
        output_mode="int", output_sequence_length=seq_len, vocabulary=vocabulary,
    )


def fit_vocabulary(train_texts: Sequence[str], max_tokens: int, min_freq: int = 1) -> list[str]:
    """The (max_tokens - 2) most frequent train tokens, most frequent first, less those seen
    fewer than min_freq times (TextVectorization has no minimum count: filtered after adapt)."""
    layer = _text_vectorization(seq_len=1, max_tokens=max_tokens)
    layer.adapt(np.asarray(train_texts, dtype=object), batch_size=4096)
    vocabulary = layer.get_vocabulary(include_special_tokens=False)
    if min_freq <= 1:
        return vocabulary
    counts = Counter(token for text in train_texts for token in text.split())
    return [token for token in vocabulary if counts[token] >= min_freq]


def make_encoder(vocabulary: Sequence[str], seq_len: int):
    return _text_vectorization(seq_len=seq_len, vocabulary=list(vocabulary))


def encode(encoder, texts: Sequence[str], batch_size: int = 8192) -> np.ndarray:
    """int32 [len(texts), seq_len]; rows with no token start with [UNK] instead of padding."""
    parts = [np.asarray(encoder(np.asarray(texts[i:i + batch_size], dtype=object)), dtype=np.int32)
             for i in range(0, len(texts), batch_size)]
    ids = np.concatenate(parts) if parts else np.zeros((0, encoder._output_sequence_length), np.int32)
    ids[ids[:, 0] == PAD_ID, 0] = OOV_ID
    return ids


def save_vocabulary(path: Path, vocabulary: Sequence[str]) -> None:
    path.write_text("".join(f"{token}\n" for token in vocabulary), encoding="utf-8")


def load_vocabulary(path: Path = VOCAB_FILE) -> list[str]:
    text = require_file(path, "run `dvc repro vectorize`").read_text(encoding="utf-8")
    return text.splitlines()
