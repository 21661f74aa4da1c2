"""The one inference path (newscat.core.inference): evaluate's, predict's and the exported
SavedModel's probabilities agree on the same texts under the same trained model."""

import json

import numpy as np
import pytest

from newscat.core.inference import predict_by_length, predict_with_attention
from newscat.core.model import attention_model, build_model
from newscat.train.training import eval_batches

VOCAB = 50
# Evaluate and predict run the same function on ids that two separate encoders made; the
# SavedModel runs its own graph over its own cleaning. float32 with differently padded
# reductions: a few ulp apart; 1e-5 is far below any real difference.
ATOL = 1e-5


@pytest.fixture(params=["lstm", "gru"])
def model(request):
    return build_model(request.param, vocab_size=VOCAB, embedding_dim=8, units=6, dropout=0.2, seed=0)


def ragged_ids(n: int = 70, width: int = 20) -> np.ndarray:
    """n rows of 1..width real tokens, right-padded: several length buckets and batches."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, width), np.int32)
    for row, length in enumerate(rng.integers(1, width + 1, n)):
        x[row, :length] = rng.integers(2, VOCAB, length)
    return x


def test_predict_by_length_returns_rows_in_order_with_predict_probabilities(model):
    x = ragged_ids()
    expected = model.predict(eval_batches(x), verbose=0)
    got = predict_by_length(model, x, batch_size=16)
    np.testing.assert_allclose(got, expected, atol=ATOL)
    np.testing.assert_array_equal(predict_by_length(model, x, batch_size=16), got)  # same on reuse


def test_predict_with_attention_matches_the_twin_model_and_predict_by_length(model):
    x = np.pad(ragged_ids(n=12, width=13), ((0, 0), (0, 19)))  # one batch, trimmed from 32 to 16
    probabilities, weights = predict_with_attention(model, x, batch_size=12)
    np.testing.assert_allclose(probabilities, predict_by_length(model, x, batch_size=12), atol=ATOL)
    assert np.all(weights[:, 16:, :] == 0) and np.all(weights[:, :, 16:] == 0)  # cut off: weight 0
    twin_probabilities, twin_weights = (np.asarray(a) for a in attention_model(model)(x))
    np.testing.assert_allclose(probabilities, twin_probabilities, atol=ATOL)
    for row, length in enumerate(np.count_nonzero(x, axis=1)):
        np.testing.assert_allclose(weights[row, :length, :length], twin_weights[row, :length, :length], atol=ATOL)


# --- one trained model, three paths ------------------------------------------------------

@pytest.fixture(scope="module")
def test_texts(built_project):
    """The raw test texts of the shared built project, as predict and serving receive them."""
    from newscat.core.io import read_table
    from newscat.core.registry import RAW_HEADER
    from newscat.data.text import join_title_description

    rows = read_table(built_project.path / "data" / "raw" / "test.csv", RAW_HEADER)
    return [join_title_description(title, description) for _, title, description in rows]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_evaluate_predict_and_savedmodel_give_the_same_probabilities(built_project, test_texts, cell,
                                                                     monkeypatch):
    import tensorflow as tf

    from newscat.core.inference import load_model
    from newscat.core.registry import serving_path
    from newscat.serve.predict import predict_proba

    monkeypatch.chdir(built_project.path)  # read-only: everything below only reads
    x_test, y_test = np.load("data/vectorized/x_test.npy"), np.load("data/vectorized/y_test.npy")
    evaluate_path = predict_by_length(load_model(cell), x_test)
    predict_path = np.asarray(predict_proba(cell, test_texts))
    savedmodel = tf.saved_model.load(str(serving_path(cell)))
    serving_path_probabilities = savedmodel.serve(tf.constant(test_texts))["probabilities"].numpy()

    assert evaluate_path.shape == (len(test_texts), 4)
    np.testing.assert_allclose(predict_path, evaluate_path, rtol=0, atol=ATOL)
    np.testing.assert_allclose(serving_path_probabilities, evaluate_path, rtol=0, atol=ATOL)
    # and evaluate's metrics come from these probabilities
    accuracy = json.loads((built_project.path / "metrics" / f"{cell}.json").read_text())["accuracy"]
    assert accuracy == round(float(np.mean(evaluate_path.argmax(1) == y_test)), 4)
