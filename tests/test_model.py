"""The attention RNN: shapes, masking, .keras round trip, seeded determinism."""

import json
import subprocess
import sys

import numpy as np
import pytest

from newscat.core.model import attention_model, build_model
from newscat.train.training import compile_model, make_deterministic, train_batches

VOCAB = 50
TINY = dict(vocab_size=VOCAB, embedding_dim=8, units=6, dropout=0.2)
IDS = np.array([[5, 9, 13, 2, 0, 0, 0, 0], [7, 7, 0, 0, 0, 0, 0, 0], [3, 4, 5, 6, 7, 8, 9, 10]], np.int32)


CELLS = ("lstm", "gru")


@pytest.fixture(params=CELLS)
def model(request):
    make_deterministic(0)
    return build_model(request.param, **TINY)


def test_output_is_four_class_probabilities(model):
    probs = np.asarray(model(IDS))
    assert probs.shape == (3, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_longer_padding_does_not_change_prediction(model):
    padded_more = np.pad(IDS, ((0, 0), (0, 12)))
    trimmed = IDS[1:2, :2]
    np.testing.assert_allclose(model(padded_more), model(IDS), atol=1e-6)
    np.testing.assert_allclose(model(trimmed), model(IDS[1:2]), atol=1e-6)


def test_padding_embedding_does_not_change_prediction(model):
    before = np.asarray(model(IDS))
    embedding = model.get_layer("embedding")
    table = embedding.embeddings.numpy()
    table[0] = 100.0  # whatever the padding id's vector is, masking must hide it
    embedding.embeddings.assign(table)
    np.testing.assert_allclose(model(IDS), before, atol=1e-6)


def test_attention_weights_skip_padded_keys(model):
    probs, weights = attention_model(model)(IDS)
    weights = np.asarray(weights)
    np.testing.assert_allclose(probs, model(IDS), atol=1e-6)  # same layers, same answer
    assert weights.shape == (3, 8, 8)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(weights[0, :, 4:] == 0.0)   # row 0 has 4 real tokens
    assert np.all(weights[1, :, 2:] == 0.0)   # row 1 has 2


@pytest.fixture(scope="module")
def reloaded(tmp_path_factory):
    """{cell: (its predictions on IDS here, those of its .keras file loaded in a fresh process)};
    one fresh process loads both cells' files."""
    base = tmp_path_factory.mktemp("keras_files")
    expected = {}
    for cell in CELLS:
        make_deterministic(0)
        model = build_model(cell, **TINY)
        model.save(base / f"{cell}.keras")
        expected[cell] = np.asarray(model(IDS))
    script = (f"import sys, json, numpy as np; sys.path.insert(0, {str(sys.path[0])!r}); import newscat.core.model, keras; "
              f"print(json.dumps({{c: np.asarray(keras.models.load_model(f'{base}/{{c}}.keras')(np.array({IDS.tolist()}, "
              f"np.int32))).tolist() for c in {list(CELLS)!r}}}))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    printed = json.loads(out.strip().splitlines()[-1])
    return {cell: (expected[cell], np.array(printed[cell], np.float32)) for cell in CELLS}


@pytest.mark.parametrize("cell", CELLS)
def test_keras_file_reloads_in_fresh_process_with_identical_predictions(reloaded, cell):
    here, fresh_process = reloaded[cell]
    np.testing.assert_array_equal(fresh_process, here)


def _tiny_training(seed: int) -> tuple[list, list]:
    make_deterministic(seed)
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCAB, size=(64, 8)).astype(np.int32)
    x[::2, 5:] = 0
    y = (x[:, 0] % 4).astype(np.int64)
    model = build_model("gru", **TINY, seed=seed)
    compile_model(model, 1e-2)
    history = model.fit(train_batches(x, y, 16, seed, 0, 2), steps_per_epoch=4, epochs=2, shuffle=False, verbose=0)
    return history.history["loss"], [w.tolist() for w in model.get_weights()]


def test_same_seed_gives_identical_training():
    loss_a, weights_a = _tiny_training(seed=3)
    loss_b, weights_b = _tiny_training(seed=3)
    assert loss_a == loss_b
    assert weights_a == weights_b


def test_shuffle_order_depends_only_on_seed_and_epoch():
    x = np.arange(20, dtype=np.int32).reshape(10, 2) + 1
    y = np.arange(10)
    full = [b[1].numpy().tolist() for b in train_batches(x, y, 5, seed=1, first_epoch=0, epochs=3)]
    resumed = [b[1].numpy().tolist() for b in train_batches(x, y, 5, seed=1, first_epoch=2, epochs=3)]
    assert full[4:] == resumed
    assert full[0:2] != full[2:4]  # a new order every epoch
