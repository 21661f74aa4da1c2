"""Which words tell a class apart: weighted log-odds with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words", section 3.5: for word w, class i and the
other classes together (j), with counts y, totals n and prior counts a_w (a_0 = sum of a_w),

    delta_w = log((y_iw + a_w) / (n_i + a_0 - y_iw - a_w)) - log((y_jw + a_w) / (n_j + a_0 - y_jw - a_w))
    var_w   ~ 1 / (y_iw + a_w) + 1 / (y_jw + a_w)
    z_w     = delta_w / sqrt(var_w)

The prior is the pooled counts of all classes (times `prior_scale`): it shrinks rare words
towards zero, and a word as frequent in every class as overall ("said", "reuters") scores
about zero, while one much more frequent in the class ("playoffs", "quarterly") scores high.
"""

from __future__ import annotations

import math
from collections import Counter


def log_odds_z(counts_per_class: list[dict[str, int]], prior_scale: float = 1.0) -> list[dict[str, float]]:
    """Per class, {word: z-score of the log-odds ratio of the class against all other classes}."""
    pooled = Counter()
    for counts in counts_per_class:
        pooled.update(counts)
    prior = {w: prior_scale * n for w, n in pooled.items()}
    prior_total = sum(prior.values())
    total = sum(pooled.values())
    scores = []
    for counts in counts_per_class:
        n_i = sum(counts.values())
        n_j = total - n_i
        z = {}
        for w, a in prior.items():
            y_i = counts.get(w, 0)
            y_j = pooled[w] - y_i
            delta = (math.log((y_i + a) / (n_i + prior_total - y_i - a))
                     - math.log((y_j + a) / (n_j + prior_total - y_j - a)))
            z[w] = delta / math.sqrt(1 / (y_i + a) + 1 / (y_j + a))
        scores.append(z)
    return scores


def distinctive_words(counts_per_class: list[dict[str, int]], top: int,
                      prior_scale: float = 1.0) -> list[dict[str, float]]:
    """Per class, the `top` words with the highest positive z-scores (word-cloud weights)."""
    result = []
    for z in log_odds_z(counts_per_class, prior_scale):
        ranked = sorted(((s, w) for w, s in z.items() if s > 0), key=lambda p: (-p[0], p[1]))[:top]
        result.append({w: s for s, w in ranked})
    return result
