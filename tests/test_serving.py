"""The exported SavedModel: in-graph cleaning equals newscat.data.text, and the reloaded model
(in a fresh process, without our code) predicts what the Keras model predicts."""

import json
import subprocess
import sys
import unicodedata

import numpy as np
import pytest

from conftest import SAMPLE_DIR, fixture_rows
from newscat.core.model import build_model
from newscat.data.features import encode, make_encoder
from newscat.data.raw import load_csv_splits
from newscat.data.text import NON_LETTERS, clean_text, english_stopwords, join_title_description
from newscat.serve.serving import (MAX_CODE_POINT, Lowercase, RawTextPipeline, clean_tokens, export_serving,
                                   non_letters_re2, stopword_table)

TRICKY = [
    "Profit #36;5 million", "Shares &#36;12 higher", "quot;Hello quot; world", "&quot;Quoted&quot;",
    "&lt;b&gt;Bold&lt;/b&gt; news", "AT&amp;T deal", "&amp;lt;b&amp;gt;x", "it#39;s the company#39;s",
    "Johnson  amp; Johnson", "AT amp;T", "the champ; Éamp; amp;amp;",
    "line one\\line two\\\\three", '<a href="http://x.com/y">Reuters</a> said', "caf&eacute; &#8212; menu",
    "<p>Tag</p><br/>", "a < b > c", "&nbsp;&nbsp;", "Zürich, São Paulo, Ångström, İstanbul",
    "ΟΔΟΣ ΣΑΣ", "МОСКВА (Reuters)", "北京 東京", "naïve café résumé", "e\u0301clair (combining accent)",
    "m² and 2½ and Ⅻ", "snake_case and_more", "U.S. e-mail, $5.2bn; 3.5% (est.)!", "1234 !!! ???",
    "The company's CEO don't care", "", "   \t\n  ", "the a of", "O'Neil's \"hit\" -- 'ok'", "tab\tnew\nline",
    "WORLD NEWS", "x&y;z", "&", ";", "<", "\\", "#36;", "quot;", "&lt;b&gt;",
]


@pytest.fixture(scope="module")
def stopwords():
    return english_stopwords()


def graph_clean(texts, stopwords) -> list[list[str]]:
    import tensorflow as tf

    tokens = clean_tokens(tf.constant(texts, dtype=tf.string), stopword_table(stopwords), Lowercase())
    return [[t.decode("utf-8") for t in row] for row in tokens.to_list()]


def assert_parity(texts, stopwords, what: str) -> None:
    """Python vs graph tokens: identical for every text (no tolerance), any difference listed."""
    expected = [clean_text(t, stopwords).split() for t in texts]
    got = graph_clean(texts, stopwords)
    differ = [(i, texts[i], e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g]
    listing = "\n".join(f"  row {i}: {t!r}\n    python {e}\n    graph  {g}" for i, t, e, g in differ[:50])
    assert not differ, f"{what}: {len(texts) - len(differ)}/{len(texts)} identical; differing:\n{listing}"


def test_parity_on_fixture_and_tricky_texts(stopwords):
    rows = fixture_rows(50, seed=3)
    texts = [join_title_description(t, d) for _, t, d in rows] + TRICKY
    texts += [t.upper() for t in TRICKY] + [f"{a} {b}" for a, b in zip(TRICKY, TRICKY[1:])]
    assert_parity(texts, stopwords, "fixture + tricky")


@pytest.mark.parametrize("split, rows", [("train", 4800), ("test", 800)])
def test_parity_on_every_row_of_the_bundled_sample(split, rows, stopwords):
    splits, problems = load_csv_splits(SAMPLE_DIR)
    assert not problems.items, problems.summary()
    assert len(splits[split]) == rows
    assert_parity([join_title_description(t, d) for _, t, d in splits[split]], stopwords,
                  f"data/sample/{split}")


EVERY_CODE_POINT = [chr(c) for c in range(1, MAX_CODE_POINT + 1) if not 0xD800 <= c <= 0xDFFF]


def test_non_letter_patterns_agree_on_every_code_point():
    """Python's [\\W\\d_] and the in-graph pattern split on exactly the same characters."""
    import re

    import tensorflow as tf

    python_splits = [bool(re.fullmatch(NON_LETTERS, c)) for c in EVERY_CODE_POINT]
    graph_splits = tf.strings.regex_replace(EVERY_CODE_POINT, non_letters_re2(), "").numpy() == b""
    differ = [c for c, p, g in zip(EVERY_CODE_POINT, python_splits, graph_splits) if p != g]
    assert not differ, [f"U+{ord(c):04X} {unicodedata.category(c)}" for c in differ[:20]]


def test_lowercase_agrees_on_every_code_point():
    lowered = Lowercase()(EVERY_CODE_POINT).numpy()
    differ = [c for c, g in zip(EVERY_CODE_POINT, lowered) if c.lower() != g.decode("utf-8")]
    assert not differ, [f"U+{ord(c):04X} {c!r}: python {c.lower()!r}" for c in differ[:20]]


@pytest.mark.parametrize("text", ["Glagolitic \u2c2f!", "\ua7c0\ua7d0 Latin", "x\U00010570\U00010595y",
                                  "ΟΔΟΣ ΣΑΣ \u2c2f", "İstanbul \ua7d6", "plain ascii"])
def test_lowercase_of_mixed_texts_agrees(text):
    """The in-graph fix for capitals TensorFlow does not know applies inside longer texts too
    (and leaves final sigma and the two-character lowercase of İ to tf.strings.lower)."""
    assert Lowercase()([text]).numpy()[0].decode("utf-8") == text.lower()


# --- the exported model ---------------------------------------------------------------------

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
            encode(make_encoder(VOCAB, SEQ_LEN), [clean_text(t, stopwords) for t in TEXTS]), verbose=0)
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
