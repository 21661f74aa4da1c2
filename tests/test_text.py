"""Cleaning rules: artifacts decoded, punctuation/digits removed, stopwords dropped."""

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat.core.errors import PipelineError
from newscat.data.text import (ARTIFACTS, STOPWORDS_ROOT, clean_text, decode_artifacts, english_stopwords,
                               join_title_description, read_stopwords, required_char)

STOP = frozenset({"the", "a", "of", "s", "t", "and", "is", "don"})


@pytest.mark.parametrize("raw, decoded", [
    ("Profit #36;5 million", "profit $5 million"),
    ("quot;Hello quot; world", '"hello " world'),
    ("&quot;Quoted&quot;", '"quoted"'),
    ("&lt;b&gt;Bold&lt;/b&gt; news", " bold  news"),
    ("AT&amp;T deal", "at&t deal"),
    ("Johnson  amp; Johnson", "johnson  & johnson"),  # "&" lost, as in 88 rows of the real sample
    ("AT amp;T Wireless", "at &t wireless"),
    ("the champ; then", "the champ; then"),           # a word ending in "amp" is left alone
    ("line one\\line two", "line one line two"),
    ('<a href="http://x.com/y">Reuters</a> said', " reuters  said"),
    ("it#39;s", "it's"),
    ("&amp;lt;b&amp;gt;x", " x"),
    ("caf&eacute; &#8212; menu", "caf  menu"),
])
def test_decode_artifacts(raw, decoded):
    assert decode_artifacts(raw).split() == decoded.split()  # spacing is irrelevant downstream


@pytest.mark.parametrize("raw, cleaned", [
    ("The Price of OIL is UP", "price oil up"),
    ("Stocks fell 3.5% on Monday, 2004!", "stocks fell on monday"),
    ("The company's CEO don't care", "company ceo care"),
    ("Profit #36;5 million", "profit million"),
    ("&lt;b&gt;Update&lt;/b&gt; Oil", "update oil"),
    ("U.S. e-mail", "u e mail"),
    ("Zürich banks", "zürich banks"),
    ("snake_case and_more", "snake case more"),
    ("", ""),
    ("   \t  ", ""),
    ("1234 !!! ???", ""),
    ("the a of", ""),
])
def test_clean_text(raw, cleaned):
    assert clean_text(raw, STOP) == cleaned


def test_html_tag_words_do_not_leak():
    assert "href" not in clean_text('<A HREF="http://www.reuters.com/x">Reuters</A>', STOP)


def test_nltk_english_stopwords_are_the_shipped_list():
    words = english_stopwords()
    assert {"the", "and", "is", "s", "t"} <= words
    assert words == set((STOPWORDS_ROOT / "corpora/stopwords/english").read_text().split())
    assert len(words) == 179


def copy_of_stopwords(tmp_path, mode: int) -> Path:
    dest = tmp_path / "nltk_data" / "corpora" / "stopwords"
    dest.mkdir(parents=True)
    shutil.copy(STOPWORDS_ROOT / "corpora/stopwords/english", dest / "english")
    (dest / "english").chmod(mode)
    return tmp_path / "nltk_data"


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o666])
def test_stopwords_read_whatever_the_umask_of_the_clone(tmp_path, mode):
    """NLTK 3.10 refuses group/other-writable data files; a clone under umask 002 makes 664."""
    root = copy_of_stopwords(tmp_path, mode)
    assert read_stopwords(root) == english_stopwords()
    assert (root / "corpora/stopwords/english").stat().st_mode & 0o022 == 0


def test_stopwords_ignore_nltk_data_and_never_download(tmp_path, monkeypatch):
    monkeypatch.setenv("NLTK_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr("nltk.download", lambda *a, **k: pytest.fail("tried to download"))
    assert read_stopwords(copy_of_stopwords(tmp_path, 0o644)) == english_stopwords()


def test_missing_stopword_list_names_the_file(tmp_path):
    with pytest.raises(PipelineError, match="corpora/stopwords/english"):
        read_stopwords(tmp_path)


def test_title_is_kept():
    assert clean_text(join_title_description("Sox Win", "Boston beat New York."), STOP) == "sox win boston beat new york"


@pytest.mark.parametrize("pattern, char", [(r"\\", "\\"), (r"&?quot;", ";"), (r"&?#[0-9]+;", "#"),
                                           (r"<[^<>]*>", "<"), (r"&[a-z]+;", "&"), (r"(a|b)c", "c"),
                                           (r"x?", None), (r"[ab]+", None)])
def test_required_char_is_in_every_match(pattern, char):
    assert required_char(pattern) == char


def _every_artifact_pass(text: str) -> str:
    text = text.lower()
    for pattern, replacement in ARTIFACTS:
        text = re.sub(pattern, replacement, text)
    return text


PIECES = st.sampled_from(["&", "amp;", "quot;", "#36;", "#39;", "#8212;", "lt;", "gt;", "<", ">", "b", "\\",
                          ";", "#", "q", "uot", "nbsp;", " ", "X", "1"])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(text=st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=12).map("".join))
def test_fast_path_skips_only_texts_the_artifact_pass_leaves_unchanged(text):
    """The shortcut derived from ARTIFACTS never changes the result of the full pass."""
    assert decode_artifacts(text) == _every_artifact_pass(text)
