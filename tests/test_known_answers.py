"""Known answers, worked out by hand: the metrics, the stratified validation split, the
vocabulary (train only) and the length-bucketed batch order."""

import math
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SUBPROCESS_TIMEOUT
from newscat.data.splits import group_split
from newscat.evaluate.evaluation import classification_metrics

# --- classification_metrics -------------------------------------------------------------

Y_TRUE = np.array([0, 0, 1, 2, 3, 3])
Y_PRED = np.array([0, 1, 1, 2, 3, 0])  # rows 1 and 5 wrong


def probabilities_of(predicted) -> np.ndarray:
    """0.7 on the predicted class, 0.1 on each other one."""
    p = np.full((len(predicted), 4), 0.1)
    p[np.arange(len(predicted)), predicted] = 0.7
    return p


def test_classification_metrics_on_a_hand_computed_example():
    m = classification_metrics(Y_TRUE, probabilities_of(Y_PRED))
    # per class: predicted-as / true counts -> precision, recall
    #   World:    predicted rows 0,5 (1 right)  true rows 0,1 (1 found)  P 1/2  R 1/2  F1 1/2
    #   Sports:   predicted rows 1,2 (1 right)  true row 2 (found)       P 1/2  R 1    F1 2/3
    #   Business: predicted row 3 (right)       true row 3               P 1    R 1    F1 1
    #   Sci/Tech: predicted row 4 (right)       true rows 4,5 (1 found)  P 1    R 1/2  F1 2/3
    expected = {"World": (0.5, 0.5, 0.5, 2), "Sports": (0.5, 1.0, 0.6667, 1),
                "Business": (1.0, 1.0, 1.0, 1), "Sci/Tech": (1.0, 0.5, 0.6667, 2)}
    assert m["per_class"] == {name: {"precision": p, "recall": r, "f1": f, "support": s}
                              for name, (p, r, f, s) in expected.items()}
    assert m["accuracy"] == round(4 / 6, 4)
    assert m["macro"] == {"precision": 0.75, "recall": 0.75, "f1": round((0.5 + 2 / 3 + 1 + 2 / 3) / 4, 4)}
    # log loss: -log p(true class); 0.7 on the 4 right rows, 0.1 on the 2 wrong ones
    assert m["loss"] == round(-(4 * math.log(0.7) + 2 * math.log(0.1)) / 6, 4)
    assert m["test_rows"] == 6


def test_class_never_predicted_scores_zero_precision_not_an_error():
    m = classification_metrics(np.array([0, 1, 2, 3]), probabilities_of(np.array([0, 1, 2, 2])))
    assert m["per_class"]["Sci/Tech"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["per_class"]["Business"]["precision"] == 0.5


# --- the stratified validation split ----------------------------------------------------

COUNTS = (80, 60, 40, 20)  # rows per class: unequal, so a plain random split would not keep them


def labelled_rows():
    labels = [k for k, n in enumerate(COUNTS) for _ in range(n)]
    texts = [f"row{i}" for i in range(len(labels))]
    return labels, texts


def test_split_keeps_every_row_once_and_the_class_proportions():
    labels, texts = labelled_rows()
    train_idx, val_idx = group_split(labels, texts, val_fraction=0.1, seed=7)
    assert not set(train_idx) & set(val_idx)
    assert sorted(train_idx.tolist() + val_idx.tolist()) == list(range(len(labels)))
    y = np.array(labels)
    assert np.bincount(y[val_idx], minlength=4).tolist() == [8, 6, 4, 2]  # 10 % of each class
    assert np.bincount(y[train_idx], minlength=4).tolist() == [72, 54, 36, 18]


def test_split_keeps_copies_of_a_text_on_one_side():
    labels, texts = labelled_rows()
    texts = [f"row{i // 2}" for i in range(len(texts))]  # every text twice (same class: COUNTS are even)
    train_idx, val_idx = group_split(labels, texts, val_fraction=0.1, seed=7)
    assert not {texts[i] for i in train_idx} & {texts[i] for i in val_idx}


def test_split_is_a_function_of_the_seed():
    labels, texts = labelled_rows()
    first, again = group_split(labels, texts, 0.1, seed=7), group_split(labels, texts, 0.1, seed=7)
    assert all((a == b).all() for a, b in zip(first, again))
    assert set(group_split(labels, texts, 0.1, seed=8)[1]) != set(first[1])


# --- the vocabulary: train only -----------------------------------------------------------

CLEAN = {"train": [(0, "alpha beta"), (1, "beta gamma"), (2, "beta")],
         "val": [(0, "delta beta")],
         "test": [(3, "epsilon alpha"), (1, "")]}


@pytest.fixture(scope="module")
def vectorized(tmp_path_factory):
    """stages/vectorize.py run on hand-written data/clean tables (sequence_length 3)."""
    import shutil

    import yaml

    project = tmp_path_factory.mktemp("vocab")
    shutil.copy2(ROOT / "params.yaml", project / "params.yaml")
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["vectorize"].update(max_tokens=100, sequence_length=3)
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    (project / "data" / "clean").mkdir(parents=True)
    (project / "data" / "raw").mkdir()
    for split, rows in CLEAN.items():
        (project / "data" / "clean" / f"{split}.csv").write_text(
            "label,text\n" + "".join(f"{label},{text}\n" for label, text in rows))
    (project / "data" / "clean" / "report.json").write_text("{}")
    (project / "data" / "raw" / "report.json").write_text("{}")
    result = subprocess.run([sys.executable, str(ROOT / "stages" / "vectorize.py")], cwd=project,
                            capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def test_vocabulary_holds_the_train_words_only_most_frequent_first(vectorized):
    vocabulary = (vectorized / "models" / "vocab.txt").read_text().splitlines()
    assert vocabulary[0] == "beta"
    assert sorted(vocabulary) == ["alpha", "beta", "gamma"]  # no delta (val), no epsilon (test)


@pytest.mark.parametrize("split, expected", [
    ("val", [[1, "beta", 0]]),                   # delta: only in val -> [UNK]
    ("test", [[1, "alpha", 0], [1, 0, 0]]),      # epsilon: only in test -> [UNK]; empty row: one [UNK]
])
def test_words_outside_train_read_as_unk(vectorized, split, expected):
    vocabulary = (vectorized / "models" / "vocab.txt").read_text().splitlines()
    ids = {word: i + 2 for i, word in enumerate(vocabulary)}
    x = np.load(vectorized / "data" / "vectorized" / f"x_{split}.npy")
    assert x.tolist() == [[ids.get(t, t) for t in row] for row in expected]


# --- the length-bucketed batch order -----------------------------------------------------

N, BATCH, BUCKET = 1000, 8, 4  # windows of 32 rows: 31 full windows and a partial one


@pytest.fixture(scope="module")
def lengths():
    return np.random.default_rng(0).integers(1, 49, N)


def batches(lengths, epoch: int, bucket_batches: int) -> list[list[int]]:
    import tensorflow as tf

    from newscat.train.training import epoch_batches

    return [b.numpy().tolist() for b in epoch_batches(tf.constant(lengths), BATCH, seed=3, epoch=epoch,
                                                      bucket_batches=bucket_batches)]


@pytest.mark.parametrize("epoch", [0, 1])
def test_bucketed_epoch_holds_every_row_exactly_once(lengths, epoch):
    rows = [i for b in batches(lengths, epoch, BUCKET) for i in b]
    assert sorted(rows) == list(range(N))
    assert [len(b) for b in batches(lengths, epoch, BUCKET)].count(BATCH) == N // BATCH


def test_bucketed_batches_are_length_sorted_slices_of_one_shuffled_window(lengths):
    """Each batch is sorted by length and lies within one window of the epoch's shuffled
    order (the unbucketed order of the same seed and epoch)."""
    shuffled = [i for b in batches(lengths, 0, 0) for i in b]
    window_of = {row: pos // (BATCH * BUCKET) for pos, row in enumerate(shuffled)}
    for batch in batches(lengths, 0, BUCKET):
        assert len({window_of[row] for row in batch}) == 1
        assert [lengths[r] for r in batch] == sorted(lengths[r] for r in batch)


def test_bucketing_cuts_padding_and_reorders_batches_every_epoch(lengths):
    def padded_steps(bs):
        return sum(len(b) * max(lengths[r] for r in b) for b in bs)

    assert padded_steps(batches(lengths, 0, BUCKET)) < 0.8 * padded_steps(batches(lengths, 0, 0))
    assert batches(lengths, 0, BUCKET) == batches(lengths, 0, BUCKET)
    assert batches(lengths, 0, BUCKET) != batches(lengths, 1, BUCKET)
