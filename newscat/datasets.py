"""The pipeline's intermediate files: the cleaned text tables (data/clean, written by stage
clean) and the vectorized arrays (data/vectorized, written by stage vectorize).

Raw AG News input (the original CSVs or TFDS, read by stage download) is newscat.data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newscat.io import read_table, require_file

CLEAN_DIR = Path("data/clean")
VECTORIZED_DIR = Path("data/vectorized")
CLEAN_HEADER = ("label", "text")


def load_clean(split: str) -> tuple[np.ndarray, list[str]]:
    """(labels int64, cleaned texts) of data/clean/<split>.csv."""
    rows = read_table(CLEAN_DIR / f"{split}.csv", CLEAN_HEADER)
    return np.array([int(label) for label, _ in rows], dtype=np.int64), [text for _, text in rows]


def vectorized_paths(split: str, root: Path = VECTORIZED_DIR) -> tuple[Path, Path]:
    return root / f"x_{split}.npy", root / f"y_{split}.npy"


def load_vectorized(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(token ids int32 [n, seq_len], labels int64 [n]) of one split."""
    x_path, y_path = vectorized_paths(split)
    hint = "run `dvc repro vectorize`"
    return np.load(require_file(x_path, hint)), np.load(require_file(y_path, hint))
