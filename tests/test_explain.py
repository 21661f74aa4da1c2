"""Attention figure logic: scores over real positions only, seeded two-per-class selection."""

import numpy as np
import pytest

from newscat.core.model import attention_model, build_model
from newscat.evaluate.attention_figure import Example, attention_figure, received_attention, select_examples


def test_received_attention_ignores_padded_queries_and_keys():
    ids = np.array([[4, 5, 6, 0, 0], [7, 0, 0, 0, 0]])
    weights = np.full((2, 5, 5), 100.0)  # padding gets huge values: none may leak into a score
    weights[0, :3, :3] = [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [0.1, 0.1, 0.8]]
    weights[1, 0, 0] = 1.0
    scores = received_attention(weights, ids)
    np.testing.assert_allclose(scores[0], [0.3, 0.2, 0.5])  # column means over the 3 real queries
    np.testing.assert_allclose(scores[1], [1.0])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_scores_of_a_real_model_sum_to_one_over_real_tokens(cell):
    model = build_model(cell, vocab_size=30, embedding_dim=4, units=3, dropout=0.0)
    ids = np.array([[5, 9, 13, 2, 0, 0], [7, 0, 0, 0, 0, 0], [3, 4, 5, 6, 7, 8]], np.int32)
    _, weights = attention_model(model)(ids)
    scores = received_attention(np.asarray(weights), ids)
    assert [len(s) for s in scores] == [4, 1, 6]
    for s in scores:
        np.testing.assert_allclose(s.sum(), 1.0, rtol=1e-5)


def labels(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, n)
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, 4, n))
    return y_true, y_pred


def test_selection_two_per_class_one_right_one_wrong():
    y_true, y_pred = labels()
    chosen = select_examples(y_true, y_pred, per_class=2, seed=5)
    assert [int(y_true[i]) for i in chosen] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [bool(y_true[i] == y_pred[i]) for i in chosen] == [True, False] * 4
    assert len(set(chosen)) == 8


def test_selection_is_deterministic_given_seed():
    y_true, y_pred = labels()
    assert select_examples(y_true, y_pred, seed=5) == select_examples(y_true, y_pred, seed=5)
    assert any(select_examples(y_true, y_pred, seed=s) != select_examples(y_true, y_pred, seed=5) for s in range(6, 9))


def test_selection_falls_back_when_a_class_has_no_mistakes_or_no_hits():
    y_true = np.array([0, 0, 0, 1, 1, 1, 2, 3, 3])
    y_pred = np.array([0, 0, 0, 2, 2, 2, 2, 3, 1])  # class 0 all right, class 1 all wrong, class 2 one row
    chosen = select_examples(y_true, y_pred, per_class=2, seed=0)
    assert [int(y_true[i]) for i in chosen] == [0, 0, 1, 1, 2, 3, 3]
    assert all(y_pred[i] == 0 for i in chosen[:2]) and all(y_pred[i] == 2 for i in chosen[2:4])


def test_figure_is_written_and_byte_identical_on_rerun(tmp_path):
    examples = [Example(["oil", "prices", "rise"] * 20, np.full(60, 1 / 60), [True, False, True] * 20, 2, 2, 0.9),
                Example(["[UNK]"], np.array([1.0]), [False], 0, 3, 0.4)]
    for name in ("a.png", "b.png"):
        attention_figure(examples, "Tiny", tmp_path / name)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
