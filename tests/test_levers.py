"""Tuning levers (README, Tuning): each is off by default, validated in params.yaml, and
does what its name says when on."""

import numpy as np
import pytest

from newscat.core.model import SparseSmoothedCrossentropy, attention_model, build_model
from newscat.core.params import ParamsError, parse_params
from newscat.data.features import fit_vocabulary
from newscat.train.training import compile_model, lever_callbacks, make_deterministic

TINY = dict(vocab_size=50, embedding_dim=8, units=6, dropout=0.2)
IDS = np.array([[5, 9, 13, 2, 0, 0], [7, 7, 0, 0, 0, 0], [3, 4, 5, 6, 7, 8]], np.int32)


@pytest.mark.parametrize("group, key, value", [
    ("train", "use_ema", "yes"), ("model", "attention_projections", 1),
    ("train", "lr_schedule", "linear"), ("train", "label_smoothing", 1.0), ("vectorize", "min_freq", 0)])
def test_invalid_lever_value_is_named(group, key, value):
    with pytest.raises(ParamsError, match=rf"{group}\.{key} = {value!r}"):
        parse_params({group: {key: value}})


@pytest.mark.parametrize("min_freq, expected", [(1, {"market", "stocks", "rise", "fall"}),
                                                (2, {"market", "stocks"}), (3, {"market"})])
def test_min_freq_drops_rare_words(min_freq, expected):
    texts = ["market stocks rise", "market stocks fall", "market"]
    assert set(fit_vocabulary(texts, max_tokens=100, min_freq=min_freq)) == expected


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_smoothed_loss_matches_its_formula(smoothing):
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.2, 0.5, 0.2, 0.1]], np.float32)
    labels = np.array([0, 2])
    target = np.full((2, 4), smoothing / 4) + (1 - smoothing) * np.eye(4)[labels]
    expected = np.mean(-(target * np.log(probs)).sum(axis=1))
    assert float(SparseSmoothedCrossentropy(smoothing)(labels, probs)) == pytest.approx(expected, rel=1e-5)


def test_projections_add_weights_and_attention_twin_gives_the_same_probabilities():
    make_deterministic(0)
    plain = build_model("lstm", **TINY)
    projected = build_model("lstm", **TINY, attention_projections=True, spatial_dropout=0.2)
    assert len(projected.get_layer("attention").weights) == 6  # Q, K, V kernels and biases
    probs, weights = attention_model(projected)(IDS)
    np.testing.assert_allclose(probs, projected(IDS), atol=1e-6)
    assert np.all(np.asarray(weights)[1, :, 2:] == 0.0)  # padded keys still masked
    assert len(plain.get_layer("attention").weights) == 0


@pytest.mark.parametrize("levers, optimizer", [
    (dict(), "Adam"), (dict(weight_decay=0.01), "AdamW"), (dict(use_ema=True, ema_epochs=1.25), "Adam")])
def test_compile_levers_pick_the_optimizer(levers, optimizer):
    from types import SimpleNamespace

    model = build_model("gru", **TINY)
    compile_model(model, 0.01, SimpleNamespace(**levers), steps_per_epoch=8)
    assert type(model.optimizer).__name__ == optimizer
    assert model.optimizer.use_ema == levers.get("use_ema", False)
    assert len(lever_callbacks(SimpleNamespace(**levers))) == int(levers.get("use_ema", False))


@pytest.mark.parametrize("levers", [dict(lr_schedule="cosine"), dict(use_ema=True, ema_epochs=1.0)])
def test_levers_counted_in_epochs_need_steps_per_epoch(levers):
    from types import SimpleNamespace

    with pytest.raises(ValueError, match="steps_per_epoch"):
        compile_model(build_model("gru", **TINY), 0.01, SimpleNamespace(**levers))


@pytest.mark.parametrize("ema_epochs, steps_per_epoch, momentum", [
    (1.1111111, 9, 0.9),         # params.yaml's: the sample's 4,319 training rows in batches of 512
    (1.1111111, 211, 0.995735),  # the full train split's 108,000 rows: the same 1.11 epochs
    (1.25, 4, 0.8), (1.25, 1, 0.2)])
def test_ema_horizon_in_epochs_gives_the_optimizer_its_per_step_momentum(ema_epochs, steps_per_epoch, momentum):
    from types import SimpleNamespace

    model = build_model("gru", **TINY)
    compile_model(model, 0.01, SimpleNamespace(use_ema=True, ema_epochs=ema_epochs), steps_per_epoch=steps_per_epoch)
    assert model.optimizer.ema_momentum == pytest.approx(momentum, abs=1e-6)


def test_with_ema_the_kept_weights_are_the_ones_early_stopping_validated():
    from types import SimpleNamespace

    import keras

    from newscat.train.training import eval_batches, train_batches

    make_deterministic(0)
    rng = np.random.default_rng(0)
    x = np.where(np.arange(8) < rng.integers(2, 8, (96, 1)), rng.integers(2, 50, (96, 8)), 0).astype(np.int32)
    y = rng.integers(0, 4, 96)
    levers = SimpleNamespace(use_ema=True, ema_epochs=0.5)  # momentum 0.5 at 4 steps per epoch
    model = build_model("gru", **TINY)
    compile_model(model, 0.05, levers, steps_per_epoch=4)
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    history = model.fit(train_batches(x[:64], y[:64], 16, 0, 0, 4), steps_per_epoch=4, epochs=4, verbose=0,
                        shuffle=False, validation_data=eval_batches(x[64:], y[64:]),  # as newscat.train.fit
                        callbacks=[*lever_callbacks(levers), early_stopping])
    best_val_loss = min(history.history["val_loss"])
    assert model.evaluate(eval_batches(x[64:], y[64:]), verbose=0)[0] == pytest.approx(best_val_loss, rel=1e-5)
