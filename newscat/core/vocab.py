"""The vocabulary and its token ids: 0 is padding (at the end of a row), 1 is [UNK], the words of
models/vocab.txt follow. A trained model records the file's SHA-256 (VOCAB_KEY); evaluate, predict
and export refuse another (`trained_inputs`), which would silently feed it the wrong words.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.io import keras_archive_metadata, require_file
from newscat.core.registry import STAGE_OF, VOCAB_FILE, keras_model_path

PAD_ID = 0  # Keras' Embedding(mask_zero=True) masks exactly this id
OOV_ID = 1  # [UNK]: any word not in the vocabulary
OOV_TOKEN = "[UNK]"
RESERVED_TOKENS = 2  # PAD_ID and OOV_ID come before the first word
VOCAB_KEY = "newscat_vocab_sha256"  # in a trained model's metadata.json
SEQUENCE_LENGTH_KEY = "newscat_sequence_length"  # likewise: the token ids' width it was trained on


def vocabulary_size(vocabulary: Sequence[str]) -> int:
    """Ids in use: the reserved ones and one per word."""
    return len(vocabulary) + RESERVED_TOKENS


def word_of(token_id: int, vocabulary: Sequence[str]) -> str:
    """The word of a token id >= RESERVED_TOKENS."""
    return vocabulary[token_id - RESERVED_TOKENS]


def row_lengths(x: np.ndarray) -> np.ndarray:
    """Real tokens per row (rows are right-padded with PAD_ID)."""
    return np.count_nonzero(x != PAD_ID, axis=1).astype(np.int64)


def save_vocabulary(path: Path, vocabulary: Sequence[str]) -> None:
    path.write_text("".join(f"{token}\n" for token in vocabulary), encoding="utf-8")


def _vocabulary_bytes(path: Path = VOCAB_FILE) -> bytes:
    return require_file(path, "run `dvc repro vectorize`").read_bytes()


def load_vocabulary(path: Path = VOCAB_FILE) -> list[str]:
    return _vocabulary_bytes(path).decode("utf-8").splitlines()


def vocabulary_sha256(vocab_file: Path = VOCAB_FILE) -> str:
    return hashlib.sha256(_vocabulary_bytes(vocab_file)).hexdigest()


def trained_inputs(cell: str, root: Path = Path(".")) -> tuple[list[str], int]:
    """(vocabulary, sequence length) the cell's model was trained with, from the project at root: its
    models/vocab.txt, refused unless the model records that file's hash, and the vectorize.sequence_length
    the model records (predict and export cut texts there, whatever params.yaml says now)."""
    hint = f"run `dvc repro {STAGE_OF[cell]}`"
    vocab_file = root / VOCAB_FILE
    model_file = require_file(root / keras_model_path(cell), hint)
    metadata = keras_archive_metadata(model_file)
    data = _vocabulary_bytes(vocab_file)
    actual, expected = hashlib.sha256(data).hexdigest(), metadata.get(VOCAB_KEY)
    if expected != actual:
        raise PipelineError(
            f"{vocab_file} is not the vocabulary {model_file} was trained with: its SHA-256 is {actual[:12]}..., "
            f"the model records {(expected or 'none')[:12]}...; valid: the {vocab_file} written with the model "
            f"(`dvc checkout`), or retrain: {hint}")
    length = metadata.get(SEQUENCE_LENGTH_KEY)
    if not isinstance(length, int):
        raise PipelineError(f"{model_file} records no sequence length; retrain: {hint}")
    return data.decode("utf-8").splitlines(), length
