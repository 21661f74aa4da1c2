"""Stage wordclouds: per-class word clouds of raw and cleaned text, the words that tell each class
apart (Figures/distinctive_words.png, training split), and rows per class."""

import re
from collections import Counter

from newscat.core.errors import run_stage
from newscat.core.io import load_clean, read_table
from newscat.core.params import load_params
from newscat.core.registry import (CLASS_NAMES, DISTINCTIVE_WORDS_FIGURE, FIGURE_SPLIT_NAMES, RAW_HEADER,
                                   distribution_figure, raw_table, wordcloud_figure)
from newscat.core.staging import StagedOutputs
from newscat.evaluate.plots import class_distribution, wordcloud_grid
from newscat.evaluate.words import distinctive_words

RAW_WORD = re.compile(r"[A-Za-z][A-Za-z']+")  # raw clouds: words as written, digits/escapes aside


def raw_frequencies(rows: list[list[str]]) -> list[dict[str, int]]:
    """Per class, counts of raw words (title + description), minus wordcloud's stopwords."""
    from wordcloud import STOPWORDS

    counters = [Counter() for _ in CLASS_NAMES]
    for label, title, description in rows:
        counters[int(label)].update(RAW_WORD.findall(f"{title} {description}"))
    return [{w: n for w, n in c.items() if w.lower() not in STOPWORDS} for c in counters]


def clean_frequencies(labels, texts: list[str]) -> list[dict[str, int]]:
    counters = [Counter() for _ in CLASS_NAMES]
    for label, text in zip(labels, texts):
        counters[int(label)].update(text.split())
    return [dict(c) for c in counters]


def main() -> None:
    params = load_params().wordclouds
    raw = {split: read_table(raw_table(split), RAW_HEADER) for split in ("train", "test")}
    clean = {split: load_clean(split) for split in ("train", "test")}
    draw = dict(max_words=params.max_words, seed=params.seed)
    with StagedOutputs() as out:
        for split, name in FIGURE_SPLIT_NAMES.items():
            wordcloud_grid(raw_frequencies(raw[split]), f"AG News {name} split, raw text",
                           out.path(wordcloud_figure(split, cleaned=False)), **draw)
            wordcloud_grid(clean_frequencies(*clean[split]), f"AG News {name} split, cleaned text",
                           out.path(wordcloud_figure(split, cleaned=True)), **draw)
            rows_used = "after the validation carve-out" if split == "train" else "all rows"
            class_distribution(clean[split][0], f"AG News {name} split ({rows_used}): rows per class",
                               out.path(distribution_figure(split)))
        wordcloud_grid(distinctive_words(clean_frequencies(*clean["train"]), params.max_words),
                       "Words that tell each class apart (training split, weighted log-odds z-score)",
                       out.path(DISTINCTIVE_WORDS_FIGURE), **draw)
    print("wordclouds: 7 figures written to Figures/")


if __name__ == "__main__":
    run_stage(main, tensorflow=False)
