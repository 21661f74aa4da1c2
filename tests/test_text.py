"""Cleaning rules: artifacts decoded, punctuation/digits removed, stopwords dropped (one
TensorFlow function, newscat.data.text.standardize, read through clean_texts)."""

import shutil
from pathlib import Path

import pytest

from newscat.core.errors import PipelineError
from newscat.data.text import STOPWORDS_ROOT, clean_texts, english_stopwords, join_title_description, read_stopwords

STOP = frozenset({"the", "a", "of", "s", "t", "and", "is", "don"})
NO_STOP = frozenset({"zzzz"})


def clean_text(text: str, stopwords: frozenset[str]) -> str:
    return clean_texts([text], stopwords)[0]


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
    """Artifacts are decoded before punctuation goes: compared after the same non-letter split."""
    assert clean_text(raw, NO_STOP) == clean_text(decoded, NO_STOP)


@pytest.mark.parametrize("raw, cleaned", [
    ("The Price of OIL is UP", "price oil up"),
    ("Stocks fell 3.5% on Monday, 2004!", "stocks fell on monday"),
    ("The company's CEO don't care", "company ceo care"),
    ("Profit #36;5 million", "profit million"),
    ("&lt;b&gt;Update&lt;/b&gt; Oil", "update oil"),
    ("U.S. e-mail", "u e mail"),
    ("Zürich banks", "zürich banks"),
    ("ΟΔΟΣ МОСКВА 北京", "οδος москва 北京"),
    ("e\u0301clair naïve", "e\u0301clair naïve"),   # a combining accent stays in its word
    ("m² 2½ Ⅻ", "m"),                              # numbers of any script are not letters
    ("x\x00y\x00", "x y"),                          # NUL is a separator (ICU stops at it otherwise)
    ("tab\tnew\nline\rcr", "tab new line cr"),
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


def test_batches_give_the_same_as_one_text_at_a_time(monkeypatch):
    import newscat.data.text

    texts = ["The Price of OIL", "", "Profit #36;5 million", "ΟΔΟΣ ΣΑΣ", "the of"] * 3
    one_by_one = [clean_text(t, STOP) for t in texts]
    monkeypatch.setattr(newscat.data.text, "BATCH", 4)
    assert clean_texts(texts, STOP) == one_by_one


@pytest.mark.parametrize("word", ["x" * 1_000_000, "é" * 60, "ab" * 26])
def test_a_huge_word_is_cut_to_max_token_chars(word):
    from newscat.data.text import MAX_TOKEN_CHARS

    assert clean_text(f"{word} oil", STOP).split() == [word[:MAX_TOKEN_CHARS], "oil"]
