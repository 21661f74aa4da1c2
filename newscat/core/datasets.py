"""The pipeline's intermediate files: the cleaned text tables (data/clean, written by stage
clean) and the vectorized arrays (data/vectorized, written by stage vectorize).

Raw AG News input (the original CSVs or TFDS, read by stage download) is newscat.data.raw.
"""

from __future__ import annotations

import numpy as np

from newscat.core.io import read_table, require_file
from newscat.core.registry import CLEAN_HEADER, clean_table, vectorized_paths


def load_clean(split: str) -> tuple[np.ndarray, list[str]]:
    """(labels int64, cleaned texts) of data/clean/<split>.csv."""
    rows = read_table(clean_table(split), CLEAN_HEADER)
    return np.array([int(label) for label, _ in rows], dtype=np.int64), [text for _, text in rows]


def load_vectorized(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(token ids int32 [n, seq_len], labels int64 [n]) of one split."""
    x_path, y_path = vectorized_paths(split)
    hint = "run `dvc repro vectorize`"
    return np.load(require_file(x_path, hint)), np.load(require_file(y_path, hint))
