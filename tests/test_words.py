"""Distinctive words: the weighted log-odds z-score of Monroe et al. (2008), by hand."""

import math

import pytest

from newscat.evaluate.words import distinctive_words, log_odds_z

# Two classes of 4 words each; the prior is the pooled counts (x: 4, y: 4; a_0 = 8).
TWO_CLASSES = [{"x": 3, "y": 1}, {"x": 1, "y": 3}]
# Class 0, word x: delta = log(7/5) - log(5/7); variance = 1/7 + 1/5.
X_IN_CLASS_0 = (math.log(7 / 5) - math.log(5 / 7)) / math.sqrt(1 / 7 + 1 / 5)  # 1.1493


def test_known_answer():
    z = log_odds_z(TWO_CLASSES)
    assert z[0]["x"] == pytest.approx(X_IN_CLASS_0) and X_IN_CLASS_0 == pytest.approx(1.1493, abs=1e-4)
    assert z[0]["y"] == pytest.approx(-X_IN_CLASS_0) and z[1]["y"] == pytest.approx(X_IN_CLASS_0)


@pytest.mark.parametrize("share", [1, 5, 50])
def test_word_as_frequent_in_every_class_scores_zero(share):
    counts = [{"said": 10 * share, "playoffs": 8}, {"said": 10 * share, "quarterly": 8}]
    z = log_odds_z(counts)
    assert z[0]["said"] == pytest.approx(0.0, abs=1e-12) and z[1]["said"] == pytest.approx(0.0, abs=1e-12)


def test_distinctive_words_keep_the_top_positive_words_per_class():
    counts = [{"said": 50, "playoffs": 20, "coach": 5}, {"said": 50, "quarterly": 23, "shares": 2}]  # 75 each
    top = distinctive_words(counts, top=1)
    assert top == [{"playoffs": pytest.approx(log_odds_z(counts)[0]["playoffs"])},
                   {"quarterly": pytest.approx(log_odds_z(counts)[1]["quarterly"])}]
    assert "said" not in distinctive_words(counts, top=10)[0]
