"""The classical reference: TF-IDF over word 1..n-grams + logistic regression (scikit-learn).

It reads the same cleaned text as the RNNs (newscat.data.text), so the comparison is about the model.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def build_baseline(max_features: int, ngram_max: int, C: float) -> Pipeline:
    return Pipeline([
        # Texts are already cleaned: split on whitespace only, no second lowercasing.
        ("tfidf", TfidfVectorizer(ngram_range=(1, ngram_max), max_features=max_features,
                                  token_pattern=r"\S+", lowercase=False, sublinear_tf=True)),
        # lbfgs (the default solver) is deterministic: no seed to set, nothing random to vary.
        ("logreg", LogisticRegression(C=C, max_iter=1000)),
    ])
