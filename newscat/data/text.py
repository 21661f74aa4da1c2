"""Text cleaning: one TensorFlow function, `standardize`, the only definition. The clean stage
runs it (its output feeds the vocabulary, word clouds and baseline), predict runs it, and the
exported raw-string model keeps it as TextVectorization's `standardize` (the keras-io pattern).
Steps: lowercase; decode AG News escape artifacts and drop HTML tags (ARTIFACTS, in order); all
but letters and combining marks become spaces; drop NLTK's English stopwords (which hold the
fragments of split contractions: s, t, don, ...); cut tokens to MAX_TOKEN_CHARS characters.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from newscat.core.errors import PipelineError
from newscat.core.registry import NLTK_DATA

# (RE2 pattern, replacement) applied in order, after lowercasing.
ARTIFACTS: tuple[tuple[str, str], ...] = (
    (r"\\", " "),             # the CSV writes line breaks inside a text as a backslash
    (r"&amp;", "&"),          # first, so double-escaped "&amp;lt;" decodes fully
    (r"(^|[^a-z])amp;", r"\1&"),  # AG News often lost the "&" ("AT amp;T"); not "champ;"
    (r"&?quot;", '"'),        # AG News often lost the "&": "quot;"
    (r"&?#36;", "$"),
    (r"&?#39;", "'"),
    (r"&lt;", "<"),
    (r"&gt;", ">"),
    (r"&?#[0-9]+;", " "),     # any other numeric entity
    (r"&[a-z]+;", " "),       # any other named entity (&nbsp; ...)
    (r"<[^<>]*>", " "),       # HTML tags such as <b> and <a href="...">
)
NON_LETTERS = r"[^\pL\pM]+"  # anything but a letter or a combining mark (accents)
BATCH = 8192  # texts per call of standardize in clean_texts
MAX_TOKEN_CHARS = 50  # longer than any English word; the bundled sample's longest token has 20

STOPWORDS_ROOT = NLTK_DATA  # shipped in NLTK's layout: never downloaded, the same everywhere


def read_stopwords(root: Path = STOPWORDS_ROOT, language: str = "english") -> frozenset[str]:
    """The `language` stopword list under `root`, read with NLTK's corpus reader (no download)."""
    import nltk.data
    from nltk.corpus.reader import WordListCorpusReader

    path = Path(root).resolve() / "corpora" / "stopwords" / language
    if not path.is_file():
        raise PipelineError(f"{path}: the stopword list is missing; it ships with the project "
                            f"(data/nltk_data/corpora/stopwords/{language}), restore it from git")
    _drop_group_other_write(path)
    if str(path.parents[2]) not in nltk.data.path:  # NLTK reads only below its data roots
        nltk.data.path.append(str(path.parents[2]))
    try:
        return frozenset(WordListCorpusReader(str(path.parent), [language]).words(language))
    except PermissionError as e:
        raise PipelineError(f"{path}: NLTK refuses to read it ({e}); make it private to its "
                            f"owner: chmod go-w {path}") from None


def _drop_group_other_write(path: Path) -> None:
    """NLTK refuses group/other-writable data files (a clone under umask 002): drop those bits."""
    import stat

    st = path.stat()
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and st.st_uid == os.geteuid():
        path.chmod(stat.S_IMODE(st.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH))


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's English stopwords, from the project's own copy (data/nltk_data)."""
    return read_stopwords()


@lru_cache(maxsize=4)
def stopword_pattern(stopwords: frozenset[str]) -> str:
    """An RE2 pattern that fully matches exactly the given words (built once per list)."""
    return "|".join(re.escape(word) for word in sorted(stopwords))


def standardize(texts, stopwords: frozenset[str] | None = None):
    """tf.string raw texts -> cleaned texts (space-separated tokens, maybe empty), same shape;
    TensorFlow ops only: eager, in tf.data, or inside a SavedModel."""
    import tensorflow as tf

    # ICU's lowercasing stops at a NUL byte (a C string): NULs become spaces first.
    texts = tf.strings.lower(tf.strings.regex_replace(texts, r"\x00", " "), encoding="utf-8")
    for pattern, replacement in ARTIFACTS:
        texts = tf.strings.regex_replace(texts, pattern, replacement)
    tokens = tf.strings.split(tf.strings.regex_replace(texts, NON_LETTERS, " "))
    is_stopword = stopword_pattern(english_stopwords() if stopwords is None else stopwords)
    kept = tf.ragged.boolean_mask(tokens, tf.logical_not(
        tf.ragged.map_flat_values(tf.strings.regex_full_match, tokens, is_stopword)))
    kept = tf.ragged.map_flat_values(tf.strings.substr, kept, 0, MAX_TOKEN_CHARS, unit="UTF8_CHAR")
    return tf.strings.reduce_join(kept, axis=-1, separator=" ")


def clean_texts(texts: Iterable[str], stopwords: frozenset[str] | None = None) -> list[str]:
    """Python strings in, cleaned ones out: `standardize` on batches, in parallel, in order."""
    import numpy as np
    import tensorflow as tf

    stopwords = english_stopwords() if stopwords is None else stopwords
    # A lone surrogate (undecodable bytes of a command line) is not UTF-8: it becomes "?".
    encoded = np.asarray([t.encode("utf-8", "replace") for t in texts], dtype=object)
    if not len(encoded):
        return []
    batches = tf.data.Dataset.from_tensor_slices(encoded).batch(BATCH).map(
        lambda batch: standardize(batch, stopwords), num_parallel_calls=tf.data.AUTOTUNE)
    return [t.decode("utf-8") for batch in batches.as_numpy_iterator() for t in batch]


def join_title_description(title: str, description: str) -> str:
    """The model reads both: the origin notebook ignored titles."""
    return f"{title}. {description}"
