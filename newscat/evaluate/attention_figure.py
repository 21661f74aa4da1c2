"""What the model reads: tokens shaded by the self-attention weight they receive as a key,
averaged over the text's real query positions (the scores of a text sum to 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from newscat.core.errors import PipelineError
from newscat.core.registry import CLASS_NAMES
from newscat.core.vocab import OOV_ID, OOV_TOKEN, PAD_ID, word_of


def received_attention(weights: np.ndarray, ids: np.ndarray) -> list[np.ndarray]:
    """Per row, the mean over real queries of the weight each real key gets: float [n_real]."""
    scores = []
    for w, row in zip(weights, ids):
        real = np.flatnonzero(row != PAD_ID)
        scores.append(w[np.ix_(real, real)].mean(axis=0))
    return scores


def select_examples(y_true: np.ndarray, y_pred: np.ndarray, per_class: int = 2, seed: int = 0) -> list[int]:
    """Row indices, `per_class` per true class: a right and a wrong prediction where both exist (seeded)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for klass in range(len(CLASS_NAMES)):
        right = np.flatnonzero((y_true == klass) & (y_pred == klass))
        wrong = np.flatnonzero((y_true == klass) & (y_pred != klass))
        take_wrong = min(len(wrong), per_class // 2) if len(right) else min(len(wrong), per_class)
        take_right = min(len(right), per_class - take_wrong)
        picks = list(rng.choice(right, take_right, replace=False)) + list(rng.choice(wrong, take_wrong, replace=False))
        chosen += [int(i) for i in picks]
    return chosen


@dataclass(frozen=True)
class Example:
    tokens: Sequence[str]      # what the model read, in order (one entry per real position)
    scores: np.ndarray         # attention received by each token (sums to 1)
    known: Sequence[bool]      # False: the token was [UNK] to the model
    true: int
    predicted: int
    probability: float         # of the predicted class


def read_tokens(text: str, ids: np.ndarray, vocabulary: list[str]) -> tuple[list[str], list[bool]]:
    """The cleaned words the model read (one per real id) and whether each was in the vocabulary."""
    real = ids[ids != PAD_ID]
    tokens = text.split()[:len(real)] or [OOV_TOKEN]  # features.unk_for_empty_rows
    known = [int(i) != OOV_ID for i in real]
    mismatched = [t for t, i in zip(tokens, real) if i != OOV_ID and word_of(i, vocabulary) != t]
    if len(tokens) != len(real) or mismatched:
        raise PipelineError(f"data/clean/test.csv and data/vectorized disagree on {text[:80]!r}: "
                            "run `dvc repro vectorize`")
    return tokens, known


def explain_examples(model, x: np.ndarray, y: np.ndarray, predicted: np.ndarray, texts: Sequence[str],
                     vocabulary: list[str], seed: int = 0) -> list[Example]:
    """Two rows per class (seeded), with the attention each token received under `model`."""
    from newscat.core.inference import predict_with_attention

    chosen = select_examples(y, predicted, per_class=2, seed=seed)
    probabilities, weights = predict_with_attention(model, x[chosen])
    if not np.array_equal(probabilities.argmax(axis=1), predicted[chosen]):
        raise PipelineError("the attention twin of the model predicts differently from the model")
    examples = []
    for row, scores, probs in zip(chosen, received_attention(weights, x[chosen]), probabilities):
        tokens, known = read_tokens(texts[row], x[row], vocabulary)
        examples.append(Example(tokens, scores, known, int(y[row]), int(probs.argmax()), float(probs.max())))
    return examples


FONT_SIZE = 11
CHAR_WIDTH = 0.602  # DejaVu Sans Mono advance, in em: lets the layout be computed, not measured
FIG_WIDTH = 15.0     # inches
SHADE_RANGE = 0.5    # colours saturate at 1 +/- this many uniform shares


def _lines(tokens: Sequence[str], columns: int) -> list[list[tuple[int, int]]]:
    """Greedy word wrap: per line, (token index, first column) pairs."""
    lines, line, col = [], [], 0
    for i, token in enumerate(tokens):
        if line and col + len(token) > columns:
            lines.append(line)
            line, col = [], 0
        line.append((i, col))
        col += len(token) + 1
    return lines + [line] if line else lines or [[]]


def attention_figure(examples: Sequence[Example], model_name: str, path: Path) -> None:
    """One row per example: tokens on a background coloured by attention received, as a multiple
    of the uniform share 1/n (white: 1, red: more, blue: less)."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from newscat.evaluate.plots import Figure, save_figure

    columns = int(FIG_WIDTH * 0.96 * 72 / (CHAR_WIDTH * FONT_SIZE)) - 1
    wrapped = [_lines(e.tokens, columns) for e in examples]
    heights = [len(lines) + 1.6 for lines in wrapped] + [2.2]  # text lines + title; colour bar
    fig = Figure(figsize=(FIG_WIDTH, 0.26 * sum(heights) + 0.6))
    axes = fig.subplots(len(heights), 1, gridspec_kw={"height_ratios": heights})
    cmap, norm = colormaps["coolwarm"], Normalize(1 - SHADE_RANGE, 1 + SHADE_RANGE, clip=True)
    for ax, example, lines, height in zip(axes, examples, wrapped, heights):
        ax.set_xlim(0, columns)
        ax.set_ylim(height - 1.0, -0.6)
        ax.axis("off")
        share = example.scores * len(example.scores)  # 1.0 = the uniform share
        for row, line in enumerate(lines):
            for i, col in line:
                shade = float(norm(share[i]))
                ax.text(col, row, example.tokens[i], family="DejaVu Sans Mono", fontsize=FONT_SIZE,
                        va="center", ha="left", style="normal" if example.known[i] else "italic",
                        color="white" if abs(shade - 0.5) > 0.4 else "black",
                        bbox=dict(boxstyle="square,pad=0.15", facecolor=cmap(shade), edgecolor="none"))
        verdict = "correct" if example.true == example.predicted else "WRONG"
        ax.set_title(f"true: {CLASS_NAMES[example.true]}   predicted: {CLASS_NAMES[example.predicted]} "
                     f"(p={example.probability:.2f})   {verdict}", loc="left", fontsize=FONT_SIZE + 1,
                     color="black" if verdict == "correct" else "#b2182b", fontweight="bold")
    axes[-1].axis("off")
    bar = fig.colorbar(ScalarMappable(norm, cmap), cax=axes[-1].inset_axes([0.3, 0.55, 0.4, 0.25]),
                       orientation="horizontal")
    bar.set_label("attention received, as a multiple of the uniform share 1/n "
                  "(mean over the text's real positions; italic: [UNK], not in the vocabulary)", fontsize=FONT_SIZE)
    fig.suptitle(f"What {model_name} attends to: two test texts per class", fontsize=FONT_SIZE + 3)
    fig.tight_layout(rect=(0, 0, 1, 0.99))
    save_figure(fig, path)
