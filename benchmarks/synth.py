"""A full-size AG-News-like corpus synthesised from a small real sample (for benchmarks only).

For every synthetic document a real row of the same class is drawn as a template: the
synthetic title and description get exactly as many whitespace-separated raw words as the
template's, and each word is drawn from the raw words (as written: case, punctuation,
stopwords, escape artifacts such as `#36;` and `quot;`) of that class's titles or
descriptions, in proportion to their frequency. So the raw text gives the clean stage the
same work as real text, and the cleaned-length distribution follows the real one (same
word counts, same share of stopwords and artifacts per word on average). The text is
class-conditional unigram sampling, so it is only fit for timing, not for accuracy.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

SIZES = {"full": {"train": 120_000, "test": 7_600},   # clean carves val (10%): 108,000 + 12,000
         "quick": {"train": 6_000, "test": 760}}


def read_real_rows(csv_dir: Path, split: str) -> list[tuple[int, str, str]]:
    """(class 1..4, title, description) rows of csv_dir/<split>.csv[.gz] (ag_news_csv layout)."""
    for name in (f"{split}.csv.gz", f"{split}.csv"):
        path = Path(csv_dir) / name
        if path.exists():
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8", newline="") as f:
                return [(int(c), t, d) for c, t, d in csv.reader(f)]
    raise FileNotFoundError(f"{csv_dir} has no {split}.csv[.gz]")


class Synthesiser:
    def __init__(self, rows: list[tuple[int, str, str]]):
        self.templates = {}  # class -> int array [n_rows, 2] of (title words, description words)
        self.pools = {}      # (class, field) -> (words array, cumulative probabilities)
        for klass in sorted({r[0] for r in rows}):
            mine = [r for r in rows if r[0] == klass]
            self.templates[klass] = np.array([(len(t.split()), len(d.split())) for _, t, d in mine])
            for field in (1, 2):
                words, counts = np.unique([w for r in mine for w in r[field].split()], return_counts=True)
                self.pools[klass, field] = (words, np.cumsum(counts) / counts.sum())

    def rows(self, n: int, seed: int, mix: float = 0.0, label_noise: float = 0.0) -> list[tuple[int, str, str]]:
        """n rows, classes balanced and shuffled, as (class 1..4, title, description). With mix,
        each word comes from a random class's pool with that probability (a harder corpus); with
        label_noise, that share of rows gets another class's label (noise a model can overfit)."""
        rng = np.random.default_rng(seed)
        classes = sorted(self.templates)
        labels = rng.permutation(np.resize(np.array(classes), n))
        out: list = [None] * n
        for klass in classes:
            where = np.flatnonzero(labels == klass)
            shapes = self.templates[klass][rng.integers(0, len(self.templates[klass]), len(where))]
            fields = []
            for field in (1, 2):
                counts = shapes[:, field - 1]
                source = np.full(counts.sum(), klass)  # (mix 0 draws as many numbers as before mix existed)
                if mix:
                    source = np.where(rng.random(counts.sum()) < mix, rng.choice(classes, counts.sum()), klass)
                drawn = np.empty(counts.sum(), dtype=object)
                for c in classes:
                    words, cdf = self.pools[c, field]
                    at = np.flatnonzero(source == c)
                    drawn[at] = words[np.minimum(np.searchsorted(cdf, rng.random(len(at))), len(words) - 1)]
                ends = np.cumsum(counts)
                fields.append([" ".join(drawn[e - c:e]) for c, e in zip(counts, ends)])
            shown = np.full(len(where), klass)
            if label_noise:
                others = np.array([c for c in classes if c != klass])
                flip = rng.random(len(where)) < label_noise
                shown[flip] = rng.choice(others, flip.sum())
            for i, label, title, description in zip(where, shown, *fields):
                out[i] = (int(label), title, description)
        return out


def write_corpus(real_dir: Path, out_dir: Path, sizes: dict[str, int], seed: int = 0, mix: float = 0.0,
                 label_noise: float = 0.0) -> dict[str, int]:
    """Writes out_dir/{train,test}.csv in the original ag_news_csv layout; returns row counts."""
    real = read_real_rows(real_dir, "train")  # the sample's test split is evaluate's alone
    synth = Synthesiser(real)
    out_dir.mkdir(parents=True, exist_ok=True)
    for i, (split, n) in enumerate(sizes.items()):
        with open(out_dir / f"{split}.csv", "w", encoding="utf-8", newline="") as f:
            csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(synth.rows(n, seed + i, mix, label_noise))
    return dict(sizes)
