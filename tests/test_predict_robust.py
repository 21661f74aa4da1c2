"""predict never crashes on odd input: empty or whitespace-only text, control characters,
non-English scripts, emoji, 100k-character text. Every text gets a class and probabilities
that sum to 1, from the RNN and from the baseline."""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from conftest import run
from newscat.core.registry import CLASS_NAMES

ODD_TEXTS = {
    "empty": "",
    "spaces": "   ",
    "whitespace_mix": "\t\n\r\u00a0\u2003",
    "punctuation_digits": "!!! 123 ... $$$ 4.5%",
    "only_stopwords": "the and of to a in is",
    "unknown_words": "zyxwv qwerty plugh xyzzy",
    "cyrillic": "Президент подписал новый закон о бюджете",
    "cjk": "中国股市今天大幅上涨，投资者信心增强",
    "arabic": "أعلنت الحكومة عن ميزانية جديدة",
    "emoji": "🚀🔥💰📈 ⚽️🏆",
    "control_chars": "\x00\x01\x1b[31mred\x7f",
    "html_artifacts": "&lt;b&gt;quot;#36;&amp;\\",
    "very_long": ("shares profit investors earnings " * 3200)[:100_000],
    "long_unbroken": "a" * 100_000,
    "in_domain": "Striker scores twice as league leaders win championship playoff",
}
MODELS = ("lstm", "baseline")


@pytest.fixture(scope="module")
def trained(built_project):
    """The shared built project (tiny trained LSTM and baseline; read-only): the test process
    works inside it."""
    project = built_project.path
    cwd = os.getcwd()
    os.chdir(project)
    try:
        yield project
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def probabilities(trained):
    """{model: [len(ODD_TEXTS), 4]} from one predict_proba call per model."""
    from newscat.serve.predict import predict_proba

    return {name: np.asarray(predict_proba(name, list(ODD_TEXTS.values()))) for name in MODELS}


def assert_distribution(row):
    assert row.shape == (len(CLASS_NAMES),)
    assert np.all(np.isfinite(row)) and np.all(row >= 0) and np.all(row <= 1)
    assert row.sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", list(ODD_TEXTS))
def test_odd_text_gets_a_probability_distribution(probabilities, model, case):
    assert_distribution(probabilities[model][list(ODD_TEXTS).index(case)])


@pytest.mark.parametrize("model", MODELS)
def test_one_row_per_text(probabilities, model):
    assert probabilities[model].shape == (len(ODD_TEXTS), len(CLASS_NAMES))


@pytest.mark.parametrize("case", ["empty", "very_long", "emoji"])
def test_odd_text_alone_is_classified_like_in_a_batch(trained, probabilities, case):
    """A batch of one odd text (every row padding-only, or full length) works and gives the
    same answer as inside a batch: trimming padding per batch does not change results."""
    from newscat.serve.predict import predict_proba

    alone = np.asarray(predict_proba("lstm", [ODD_TEXTS[case]]))
    assert alone.shape == (1, len(CLASS_NAMES))
    assert_distribution(alone[0])
    np.testing.assert_allclose(alone[0], probabilities["lstm"][list(ODD_TEXTS).index(case)], atol=1e-5)


def test_texts_without_known_words_get_the_same_answer(probabilities):
    """Texts that clean to nothing (whitespace, stopwords, emoji, punctuation) all become one
    [UNK] token, exactly like the empty text."""
    rows = probabilities["lstm"]
    names = list(ODD_TEXTS)
    reference = rows[names.index("empty")]
    for case in ("spaces", "whitespace_mix", "only_stopwords", "emoji", "punctuation_digits"):
        np.testing.assert_allclose(rows[names.index(case)], reference, atol=1e-6)


@pytest.mark.parametrize("model", ["lstm", "baseline"])
def test_cli_classifies_every_line_of_an_odd_file(trained, model, tmp_path):
    """`python -m newscat.serve.predict --file` on a file with empty lines, odd scripts, invalid
    UTF-8 and a 100k-character line: one JSON answer per line (the empty one skipped with a
    note), exit status 0."""
    lines = [ODD_TEXTS[c] for c in ("empty", "cyrillic", "cjk", "emoji", "very_long", "in_domain")]
    path = tmp_path / "odd_input.txt"
    path.write_bytes(b"\n".join(line.encode() for line in lines) + b"\n\xff\xfe broken \xc3 bytes\n")
    result = run([sys.executable, "-m", "newscat.serve.predict", "--model", model, "--json", "--file", str(path)],
                 trained)
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(answers) == len(lines) + 1
    assert "Traceback" not in result.stderr
    assert answers.pop(0) == {"text": "", "skipped": "empty text"}
    for answer in answers:
        assert answer["class"] in CLASS_NAMES
        assert answer["probability"] == max(answer["probabilities"].values())
        assert sum(answer["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("json_flag", [True, False])
def test_empty_line_is_skipped_with_a_note_not_classified(trained, json_flag):
    result = run([sys.executable, "-m", "newscat.serve.predict", "--model", "baseline",
                  *(["--json"] if json_flag else []), "", "  ", "Oil prices climb"], trained)
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    if json_flag:
        answers = [json.loads(line) for line in lines]
        assert answers[0] == {"text": "", "skipped": "empty text"} and answers[1]["skipped"] == "empty text"
        assert answers[2]["class"] in CLASS_NAMES
    else:
        assert lines[:2] == ["(empty text: skipped)"] * 2 and lines[2].split()[0] in CLASS_NAMES


def test_ensemble_is_the_mean_of_the_three_models(trained):
    texts = ["Oil prices climb as supply tightens", "Striker scores twice", "New chip ships"]
    answers = {}
    for model in ("lstm", "gru", "baseline", "ensemble"):
        result = run([sys.executable, "-m", "newscat.serve.predict", "--model", model, "--json", *texts], trained)
        answers[model] = [json.loads(line)["probabilities"] for line in result.stdout.splitlines()]
    for i in range(len(texts)):
        for name in CLASS_NAMES:
            mean = sum(answers[m][i][name] for m in ("lstm", "gru", "baseline")) / 3
            assert abs(answers["ensemble"][i][name] - mean) <= 1e-4
