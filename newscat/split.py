"""The validation split: carved from train, stratified by class, seeded (stage clean)."""

from __future__ import annotations

from typing import Sequence


def split_train_val(labels: Sequence[int], texts: Sequence[str], val_fraction: float, seed: int):
    """(train labels, val labels, train texts, val texts): a stratified, seeded split of the
    train rows; the same (rows, val_fraction, seed) always give the same split."""
    from sklearn.model_selection import train_test_split

    return train_test_split(labels, texts, test_size=val_fraction, random_state=seed, stratify=labels)
