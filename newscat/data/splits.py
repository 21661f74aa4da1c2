"""Train/validation/test from the raw tables, checked and deduplicated on the cleaned text.

Every class needs a validation row (else one message with the counts and what is valid).
Duplicates are counted and kept on one side of the train/validation split (stratified over
distinct texts). With `data.drop_test_overlap` train rows whose text is also a test text are
dropped; test labels are never looked at and the test split is never changed.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.registry import CLASS_NAMES, SPLITS, raw_table
from newscat.data.text import clean_texts, join_title_description

Split = tuple[list[int], list[str]]  # (labels 0..3, cleaned texts)


def clean_rows(rows: list[list[str]], stopwords: frozenset[str]) -> Split:
    """(labels, cleaned texts) of data/raw rows (label, title, description)."""
    labels = [int(label) for label, _, _ in rows]
    texts = clean_texts((join_title_description(t, d) for _, t, d in rows), stopwords)
    return labels, texts


def per_class(labels) -> dict[str, int]:
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=len(CLASS_NAMES))
    return {name: int(n) for name, n in zip(CLASS_NAMES, counts)}


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def val_rows_per_class(distinct_per_class: dict[str, int], val_fraction: float) -> dict[str, int]:
    """Validation texts each class gets: val_fraction of its distinct texts, rounded half up."""
    return {name: math.floor(val_fraction * n + 0.5) for name, n in distinct_per_class.items()}


def check_train_classes(distinct_per_class: dict[str, int], rows_per_class: dict[str, int],
                        val_fraction: float, source: str) -> None:
    """Every class needs >= 2 distinct train texts and >= 1 of them in validation."""
    val = val_rows_per_class(distinct_per_class, val_fraction)
    missing = [name for name, n in rows_per_class.items() if n == 0]
    too_few = [name for name, n in distinct_per_class.items() if n < 2]
    no_val = [name for name in CLASS_NAMES if val[name] == 0 and name not in too_few]
    if not (missing or too_few or no_val):
        return
    counts = (f"train rows per class: {_counts_text(rows_per_class)}; distinct cleaned texts per "
              f"class: {_counts_text(distinct_per_class)}")
    if missing or too_few:
        what = (f"class(es) {', '.join(missing)} missing from train" if missing
                else f"class(es) {', '.join(too_few)} with fewer than 2 distinct train texts")
        raise PipelineError(f"{source}: {what} ({counts}); valid: every class 1-4 with at least 2 "
                            "distinct texts in train (one to train on, one for the validation split)")
    smallest = min(distinct_per_class[name] for name in no_val)
    needed = 0.5 / smallest
    raise PipelineError(
        f"data.val_fraction = {val_fraction} gives no validation row to class(es) {', '.join(no_val)} "
        f"({counts}; validation texts per class: {_counts_text(val)}); valid: data.val_fraction >= "
        f"{math.ceil(needed * 10000) / 10000} (and <= 0.5), or more train rows of those classes")


def text_groups(texts: list[str]) -> dict[str, list[int]]:
    """Row indices of each distinct text, in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(text, []).append(i)
    return groups


def group_label(labels: list[int], rows: list[int]) -> int:
    """A text's class: its most frequent label, the lowest on a tie."""
    if len(rows) == 1:
        return labels[rows[0]]
    return min(Counter(labels[i] for i in rows).most_common(), key=lambda kv: (-kv[1], kv[0]))[0]


def group_split(labels: list[int], texts: list[str], val_fraction: float, seed: int,
                source: str = str(raw_table("train"))) -> tuple[np.ndarray, np.ndarray]:
    """(train row indices, validation row indices): rows with the same text stay together;
    stratified by class over distinct texts (`group_label`); seeded; each side shuffled.
    A class without the distinct texts this needs stops it (`check_train_classes`)."""
    by_class: list[list[list[int]]] = [[] for _ in CLASS_NAMES]
    for rows in text_groups(texts).values():
        by_class[group_label(labels, rows)].append(rows)
    distinct = {name: len(groups) for name, groups in zip(CLASS_NAMES, by_class)}
    check_train_classes(distinct, per_class(labels), val_fraction, source)
    n_val = val_rows_per_class(distinct, val_fraction)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for name, class_groups in zip(CLASS_NAMES, by_class):
        order = rng.permutation(len(class_groups))
        for rank, g in enumerate(order):
            (val if rank < n_val[name] else train).extend(class_groups[g])
    train_idx, val_idx = np.array(train, dtype=np.int64), np.array(val, dtype=np.int64)
    return train_idx[rng.permutation(len(train_idx))], val_idx[rng.permutation(len(val_idx))]


def build_splits(train: Split, test: Split, val_fraction: float, seed: int, drop_test_overlap: bool,
                 sources: tuple[str, ...] = tuple(str(raw_table(split)) for split in SPLITS)
                 ) -> tuple[dict[str, Split], dict]:
    """{train, val, test: (labels, texts)} and the duplicate/row counts of the clean report."""
    train_source, test_source = sources
    test_labels, test_texts = test
    if not test_labels:
        raise PipelineError(f"{test_source}: the test split has no row; valid: at least one test row "
                            "(re-run download on a test file with rows)")
    labels, texts = train
    read = len(labels)
    keep = [i for i, t in enumerate(texts) if t]
    empty = read - len(keep)
    labels, texts = [labels[i] for i in keep], [texts[i] for i in keep]

    test_set = {t for t in test_texts if t}
    train_set = set(texts)
    in_test = [t in test_set for t in texts]
    duplicates = {
        "train_rows_repeating_a_train_text": len(texts) - len(train_set),
        "train_texts_with_conflicting_labels": _conflicting(labels, texts),
        "train_rows_also_in_test": sum(in_test),
        "test_rows_also_in_train": sum(1 for t in test_texts if t and t in train_set),
        "train_rows_dropped_as_test_overlap": sum(in_test) if drop_test_overlap else 0,
    }
    if drop_test_overlap:
        labels = [y for y, dup in zip(labels, in_test) if not dup]
        texts = [t for t, dup in zip(texts, in_test) if not dup]
    if not labels:
        raise PipelineError(
            f"{train_source}: no train row left ({read} read, {empty} empty after cleaning, "
            f"{duplicates['train_rows_dropped_as_test_overlap']} dropped as also in test); valid: a train "
            "split with rows of every class" + (" (or data.drop_test_overlap: false)" if drop_test_overlap else ""))
    train_idx, val_idx = group_split(labels, texts, val_fraction, seed, train_source)
    splits = {
        "train": ([labels[i] for i in train_idx], [texts[i] for i in train_idx]),
        "val": ([labels[i] for i in val_idx], [texts[i] for i in val_idx]),
        "test": (list(test_labels), list(test_texts)),
    }
    report = {"dropped_empty_after_cleaning": {"train_and_val": empty}, "duplicates": duplicates,
              "validation_split": "stratified by class over distinct cleaned texts: duplicates on one side"}
    return splits, report


def _conflicting(labels: list[int], texts: list[str]) -> int:
    return sum(1 for rows in text_groups(texts).values() if len({labels[i] for i in rows}) > 1)
