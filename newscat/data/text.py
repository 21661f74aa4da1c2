"""Text cleaning: the one definition used by training, evaluation and predict.

Order (issue: lowercase, decode artifacts, drop punctuation/digits, drop stopwords):
1. lowercase;
2. decode AG News escape artifacts (`#36;` -> `$`, `quot;`, `&lt;b&gt;`, ...), then drop HTML
   tags and the backslashes that stand for line breaks;
3. everything that is not a letter (punctuation, digits, `_`, symbols) becomes a space;
4. drop NLTK's English stopwords. Contractions split at step 3 ("company's" -> "company s")
   leave fragments (s, t, don, ll, ...) that NLTK's list already contains.

This module is the one definition, as data: the ARTIFACTS table, NON_LETTERS, Python's
str.lower and NLTK's stopword list. Every pattern is written so RE2 accepts it too:
newscat.serve.serving replays the same table, and tables generated from these, in the TensorFlow
graph. The fast path (_MAY_HAVE_ARTIFACT) is derived from ARTIFACTS as well.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from newscat.core.errors import PipelineError
from newscat.core.registry import NLTK_DATA

# (pattern, replacement) applied in order, after lowercasing.
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
NON_LETTERS = r"[\W\d_]+"     # anything but a (unicode) letter; in-graph: newscat.serve.serving.non_letters_re2
_ARTIFACTS = tuple((re.compile(p), r) for p, r in ARTIFACTS)
_NON_LETTERS = re.compile(NON_LETTERS)


def required_char(pattern: str) -> str | None:
    """A character that every match of `pattern` contains: a literal of its top-level sequence
    (not optional, not in a group or class), a non-alphanumeric one if it has one (rarer in
    text, so a better filter). None if there is no such literal."""
    try:
        from re import _parser as parser  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse as parser
    literals = [chr(value) for op, value in parser.parse(pattern) if op is parser.LITERAL]
    return next((c for c in literals if not c.isalnum()), literals[0] if literals else None)


def _may_have_artifact() -> re.Pattern | None:
    """Matches wherever some ARTIFACTS pattern might: one required character of each pattern.
    A text it does not match is left unchanged by the artifact pass, which is then skipped
    (most texts: speed). None (no shortcut) if some pattern has no required character."""
    chars = [required_char(pattern) for pattern, _ in ARTIFACTS]
    return None if None in chars else re.compile("[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]")


_MAY_HAVE_ARTIFACT = _may_have_artifact()


# NLTK's English stopword list (179 words), shipped in NLTK's corpus layout: cleaning never
# downloads and gives the same tokens on every machine (a DVC dependency of clean and export).
STOPWORDS_ROOT = NLTK_DATA  # relative to the project root, where every stage runs


def read_stopwords(root: Path = STOPWORDS_ROOT, language: str = "english") -> frozenset[str]:
    """The `language` list of the stopwords corpus under `root` (NLTK's layout), read with
    NLTK's corpus reader; neither NLTK_DATA nor nltk.download is involved."""
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
    """NLTK refuses data files that group or others may write; a clone made under umask 002
    checks ours out as 664. Our own file: take the bits away (git records only 644/755)."""
    import stat

    st = path.stat()
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and st.st_uid == os.geteuid():
        path.chmod(stat.S_IMODE(st.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH))


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's English stopwords, from the project's own copy (data/nltk_data)."""
    return read_stopwords()


def decode_artifacts(text: str) -> str:
    """Lowercased text with AG News escapes decoded and HTML tags removed."""
    text = text.lower()
    if _MAY_HAVE_ARTIFACT is None or _MAY_HAVE_ARTIFACT.search(text):
        for pattern, replacement in _ARTIFACTS:
            text = pattern.sub(replacement, text)
    return text


def clean_text(text: str, stopwords: frozenset[str]) -> str:
    """One document -> space-separated tokens (may be empty)."""
    words = _NON_LETTERS.split(decode_artifacts(text))
    return " ".join(w for w in words if w and w not in stopwords)


def clean_texts(texts: Iterable[str], stopwords: frozenset[str] | None = None) -> list[str]:
    stopwords = english_stopwords() if stopwords is None else stopwords
    return [clean_text(t, stopwords) for t in texts]


def join_title_description(title: str, description: str) -> str:
    """The model reads both: the origin notebook ignored titles."""
    return f"{title}. {description}"
