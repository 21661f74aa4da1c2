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
newscat.serving replays the same table, and tables generated from these, in the TensorFlow
graph. The fast path (_MAY_HAVE_ARTIFACT) is derived from ARTIFACTS as well.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Iterable

from newscat.errors import PipelineError

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
NON_LETTERS = r"[\W\d_]+"     # anything but a (unicode) letter; in-graph: newscat.serving.non_letters_re2
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


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's English stopwords; tries nltk.download once if the corpus is missing."""
    import nltk
    from nltk.corpus import stopwords

    try:
        return frozenset(stopwords.words("english"))
    except LookupError:
        pass
    try:
        nltk.download("stopwords", quiet=True, raise_on_error=True)
        return frozenset(stopwords.words("english"))
    except Exception:  # no network, or the download did not give a readable corpus
        raise PipelineError(
            "NLTK's 'stopwords' corpus is missing and could not be downloaded. Set NLTK_DATA to a "
            f"folder holding corpora/stopwords (e.g. ../shared/data/nltk_data); NLTK_DATA is now "
            f"{os.environ.get('NLTK_DATA', 'unset')!r}"
        ) from None


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
