"""Figures, drawn the same way every time (no timestamps in the PNGs). Each is a matplotlib
`Figure` of its own, not pyplot's: no backend to choose, no global figure state to close."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from newscat.core.registry import CLASS_NAMES

PNG_METADATA = {"Software": None}  # no version string: same bytes across matplotlib patch releases


def save_figure(fig, path: Path) -> None:
    fig.savefig(path, format="png", dpi=100, metadata=PNG_METADATA)


def class_distribution(labels, title: str, path: Path) -> None:
    """Bar chart of rows per class with the count on each bar."""
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=len(CLASS_NAMES))
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    bars = ax.bar(CLASS_NAMES, counts, color=["#4C72B0", "#55A868", "#C44E52", "#8172B2"])
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], padding=2)
    ax.set_title(title)
    ax.set_ylabel("rows")
    ax.set_ylim(0, max(counts.max(), 1) * 1.15)
    fig.tight_layout()
    save_figure(fig, path)


def wordcloud_grid(frequencies_per_class: list[dict[str, int]], title: str, path: Path,
                   max_words: int, seed: int) -> None:
    """One titled word-cloud panel per class, 2 x 2."""
    from wordcloud import WordCloud

    fig = Figure(figsize=(12, 7.6))
    axes = fig.subplots(2, 2)
    for ax, name, freqs in zip(axes.flat, CLASS_NAMES, frequencies_per_class):
        cloud = WordCloud(width=600, height=320, max_words=max_words, background_color="white",
                          random_state=seed, collocations=False)
        if freqs:
            ax.imshow(cloud.generate_from_frequencies(freqs), interpolation="bilinear")
        ax.set_title(name, fontsize=14)
        ax.axis("off")
    fig.suptitle(title, fontsize=16)
    fig.tight_layout(h_pad=2.5)  # the lower panels' titles clear of the clouds above them
    save_figure(fig, path)
