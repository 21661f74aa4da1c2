"""train.distribute: mirrored training on two logical CPU devices matches one device.

Logical devices must be configured before TensorFlow initialises, so the training runs in
a fresh subprocess: it writes fixture data (conftest.fixture_rows, cleaned and vectorized
with the pipeline's own code) into a scratch folder, then calls newscat.train.fit.fit (what the
train stages call) with train.distribute none and then mirrored (model built and compiled
inside strategy.scope()), and reports test accuracy of each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import ROOT

SCRIPT = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path[:0] = [ROOT, ROOT + "/tests"]
    import numpy as np
    from conftest import fixture_rows
    from newscat.data.features import encode, fit_vocabulary, make_encoder
    from newscat.core.vocab import save_vocabulary
    from newscat.core.params import load_params
    from newscat.data.text import clean_texts, join_title_description, read_stopwords
    from newscat.train.training import eval_batches
    from newscat.train.distribute import strategy_for
    from newscat.train.fit import fit

    params = load_params(Path(ROOT) / "params.yaml")
    stopwords = read_stopwords(Path(ROOT) / "data/nltk_data")
    os.chdir(WORK)
    splits = {"train": fixture_rows(60, seed=1), "val": fixture_rows(10, seed=3), "test": fixture_rows(25, seed=2)}
    texts = {s: clean_texts((join_title_description(t, d) for _, t, d in rows), stopwords) for s, rows in splits.items()}
    vocabulary = fit_vocabulary(texts["train"], 200)
    encoder = make_encoder(vocabulary, 24)
    Path("data/vectorized").mkdir(parents=True)
    Path("models").mkdir()
    save_vocabulary(Path("models/vocab.txt"), vocabulary)
    for s, rows in splits.items():
        np.save(f"data/vectorized/x_{s}.npy", encode(encoder, texts[s]))
        np.save(f"data/vectorized/y_{s}.npy", np.array([k - 1 for k, _, _ in rows], np.int64))
    x_test, y_test = np.load("data/vectorized/x_test.npy"), np.load("data/vectorized/y_test.npy")

    result = {"logical_cpus": len(tf.config.list_logical_devices("CPU"))}
    for distribute in ("none", "mirrored"):
        p = params.model_copy(update={
            "model": params.model.model_copy(update=dict(embedding_dim=16, units=16, dropout=0.1)),
            "train": params.train.model_copy(update=dict(distribute=distribute, epochs=3, batch_size=32,
                                                         learning_rate=0.01, patience=2))})
        model = fit("lstm", p).model
        probabilities = model.predict(eval_batches(x_test), verbose=0)
        result[distribute] = {
            "accuracy": float(np.mean(probabilities.argmax(1) == y_test)),
            "replicas": strategy_for(distribute).num_replicas_in_sync,
            "variable_type": type(model.trainable_variables[0]).__name__,
        }
    print("RESULT " + json.dumps(result))
""")


def test_mirrored_on_two_logical_cpus_matches_one_device(tmp_path):
    code = f"ROOT = {str(ROOT)!r}\nWORK = {str(tmp_path)!r}\n" + SCRIPT
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    print("distribute result:", result)
    assert result["logical_cpus"] == 2
    assert result["none"]["replicas"] == 1
    assert result["mirrored"]["replicas"] == 2  # really split across both logical devices
    # Same global batch, seeds and data order: mirrored splits each batch in two, runs the
    # halves on the two devices and all-reduces (averages) the gradients, so in exact
    # arithmetic it takes the same steps; what differs is float summation order and each
    # replica drawing its own dropout mask. That moves a weight by rounding-level amounts
    # and, on 100 test rows, a few borderline predictions at most: both runs must learn the
    # fixture's class words (>= 0.9) and agree within 0.05 (5 rows). Training that does not
    # happen on one of the replicas, or data not reaching the model, fails these.
    assert result["none"]["accuracy"] >= 0.9, result
    assert result["mirrored"]["accuracy"] >= 0.9, result
    assert abs(result["mirrored"]["accuracy"] - result["none"]["accuracy"]) <= 0.05, result
