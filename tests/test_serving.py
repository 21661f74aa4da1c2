"""The exported SavedModel: it tokenizes with the very function the clean stage runs (so the
same token ids as training, on every row), and the reloaded model (in a fresh process, without
our code) predicts what the Keras model predicts."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import SAMPLE_DIR
from newscat.core.model import build_model
from newscat.data.features import encode, fit_vocabulary, make_encoder
from newscat.data.raw import load_csv_splits
from newscat.data.text import clean_texts, english_stopwords, join_title_description
from newscat.serve.serving import RawTextPipeline, export_serving


@pytest.fixture(scope="module")
def stopwords():
    return english_stopwords()


@pytest.fixture(scope="module")
def sample_texts():
    splits, problems = load_csv_splits(SAMPLE_DIR)
    assert not problems.items, problems.summary()
    return {split: [join_title_description(t, d) for _, t, d in rows] for split, rows in splits.items()}


@pytest.mark.parametrize("split, rows", [("train", 4800), ("test", 800)])
def test_exported_graph_gives_training_token_ids_on_every_sample_row(sample_texts, stopwords, split, rows):
    """Training's ids (clean_texts, as the clean stage writes them, then encode) and the exported
    graph's ids from the raw text are the same on every row of the bundled sample."""
    texts = sample_texts[split]
    assert len(texts) == rows
    vocabulary = fit_vocabulary(clean_texts(sample_texts["train"], stopwords), max_tokens=5000)
    training = encode(make_encoder(vocabulary, 40), clean_texts(texts, stopwords))
    model = build_model("gru", vocab_size=len(vocabulary) + 2, embedding_dim=2, units=2, dropout=0.0)
    serving = RawTextPipeline(model, vocabulary, 40, stopwords).ids(texts).numpy()
    differ = np.flatnonzero((training != serving).any(axis=1))
    assert differ.size == 0, [texts[i] for i in differ[:10]]
    assert (training > 1).mean() > 0.2  # real words were looked up, not only padding and [UNK]


VOCAB = ["shares", "profit", "coach", "season", "minister", "election", "software", "internet", "million"]
SEQ_LEN = 12
TEXTS = ["Shares and profit up #36;5 million", "COACH says the season is over", "the of and", "",
         "Minister wins &lt;b&gt;election&lt;/b&gt;", "Unknown words only", "software " * 30,
         "internet quot;software quot; profit\\coach"]
# float32: the same ops on the same ids in both; only the reduction order over a differently
# padded length may change (padded positions contribute exact zeros), i.e. a few ulp of
# values <= 1 (float32 eps 1.2e-7). 1e-6 allows that and nothing a real difference would give.
ATOL = 1e-6

# Loads each SavedModel named on the command line (TensorFlow only, no newscat) and prints what
# its endpoint and its signature return for the texts.
LOAD_AND_PREDICT = """
import json, sys
import tensorflow as tf
texts = tf.constant(json.loads(sys.argv[1]), dtype=tf.string)
out = {}
for path in sys.argv[2:]:
    loaded = tf.saved_model.load(path)
    out[path] = {"serve": loaded.serve(texts)["probabilities"].numpy().tolist(),
                 "signature": loaded.signatures["serving_default"](texts=texts)["probabilities"].numpy().tolist()}
print(json.dumps({"by_path": out, "newscat_imported": any(m.startswith("newscat") for m in sys.modules)}))
"""
CELLS = ("lstm", "gru")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, stopwords):
    """{cell: (Keras' probabilities for TEXTS cleaned and encoded in Python, the in-graph
    pipeline's in this process, what one fresh process printed for the cell's SavedModel)}."""
    base = tmp_path_factory.mktemp("serving")
    keras_probabilities, in_process = {}, {}
    for cell in CELLS:
        model = build_model(cell, vocab_size=len(VOCAB) + 2, embedding_dim=8, units=4, dropout=0.5, seed=1)
        keras_probabilities[cell] = model.predict(
            encode(make_encoder(VOCAB, SEQ_LEN), clean_texts(TEXTS, stopwords)), verbose=0)
        in_process[cell] = RawTextPipeline(model, VOCAB, SEQ_LEN, stopwords)(TEXTS)["probabilities"].numpy()
        export_serving(model, VOCAB, SEQ_LEN, base / cell, stopwords)
    result = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, json.dumps(TEXTS), *(str(base / c) for c in CELLS)],
                            capture_output=True, text=True, cwd=base, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert not printed["newscat_imported"]
    return {cell: (keras_probabilities[cell], in_process[cell], printed["by_path"][str(base / cell)])
            for cell in CELLS}


@pytest.mark.parametrize("cell", CELLS)
def test_export_reloads_in_fresh_process_with_keras_predictions(exported, cell):
    expected, in_process, fresh_process = exported[cell]
    np.testing.assert_allclose(in_process, expected, rtol=0, atol=ATOL)
    for key in ("serve", "signature"):
        got = np.asarray(fresh_process[key], dtype=np.float32)
        assert got.shape == (len(TEXTS), 4)
        np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL, err_msg=key)
    assert len(set(np.round(expected[:, 0], 6))) > 3  # the texts really get different predictions


def test_rows_without_known_tokens_get_one_unk(stopwords):
    model = build_model("gru", vocab_size=len(VOCAB) + 2, embedding_dim=4, units=2, dropout=0.0)
    ids = RawTextPipeline(model, VOCAB, SEQ_LEN, stopwords).ids(["", "the of", "shares zzz", "zzz shares"]).numpy()
    assert ids.shape == (4, SEQ_LEN) and ids.dtype == np.int32
    assert ids[:, :3].tolist() == [[1, 0, 0], [1, 0, 0], [2, 1, 0], [1, 2, 0]]
