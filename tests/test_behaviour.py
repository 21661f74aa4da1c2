"""Behaviour tests of the trained models (Made-With-ML's kind), on the models the sample
pipeline trains with the project's params (conftest.sample_models), on headlines written
here (not from the data):

- minimum functionality: an unambiguous headline of each class is classified right;
- invariance: changing a name, a number or a place keeps the class, and moves no class's
  probability by more than INVARIANCE_MAX;
- direction: adding strong words of another class raises that class's probability by at
  least DIRECTION_MIN.

Thresholds: the models reach ~87% on the sample's test rows, and these headlines are built to
be easy, so every one must pass; swapping one of ~6 words may move a probability somewhat
(the largest change seen on these pairs was 0.16), adding 4-6 words of a class should move it
a lot (the smallest rise seen was 0.43).
"""
from __future__ import annotations

import pytest

from newscat.core.registry import CLASS_NAMES, MODELS

INVARIANCE_MAX = 0.25
DIRECTION_MIN = 0.2

UNAMBIGUOUS = {
    "World": ["Prime minister resigns after parliament vote of no confidence",
              "Rebels attack army base as peace talks collapse in the capital",
              "United Nations envoy urges ceasefire after deadly bombing"],
    "Sports": ["Striker scores twice as United win the cup final",
               "Quarterback throws three touchdowns in season opener",
               "Tennis champion wins fifth Wimbledon title"],
    "Business": ["Oil prices climb as OPEC cuts output",
                 "Shares fall after bank reports quarterly loss",
                 "Retailer profit rises on strong holiday sales"],
    "Sci/Tech": ["Microsoft releases security patch for Windows software",
                 "NASA spacecraft sends back images of Mars",
                 "New Intel chip makes laptops faster"],
}
SAME_CLASS = [  # (headline, the same with a name, number or place changed)
    ("Federer beats Roddick in Wimbledon final", "Hewitt beats Agassi in Wimbledon final"),
    ("Oil prices rise to $50 a barrel", "Oil prices rise to $42 a barrel"),
    ("Bomb kills 12 in Baghdad market", "Bomb kills 30 in Kabul market"),
    ("Google shares jump after earnings report", "Yahoo shares jump after earnings report"),
    ("IBM unveils new supercomputer", "Sun unveils new supercomputer"),
]
TOWARD = [  # (headline, class, the headline with strong words of that class added)
    ("Company announces new chairman", "Sports",
     "Company announces new chairman of the football club after the league season"),
    ("Minister visits the city", "Business", "Minister visits the city to discuss oil prices, shares and profit"),
    ("Team wins the match", "Sci/Tech", "Team wins the match using new software on computers and the internet"),
    ("Stocks rise in early trading", "World", "Stocks rise in early trading as troops and rebels fight in Iraq"),
]


@pytest.fixture(scope="module")
def probabilities(sample_models):
    """name -> function(texts) -> class probabilities, through predict's own path (raw text,
    the cleaning function, the vocabulary check, the model)."""
    from newscat.core.inference import load_model
    from newscat.serve.predict import predict_cleaned
    from newscat.data.text import clean_texts

    root = sample_models.path
    models = {name: load_model(name, root) for name in MODELS}

    def predict(name, texts):
        return predict_cleaned(name, models[name], clean_texts(texts), root)
    return predict


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("label", CLASS_NAMES)
def test_unambiguous_headlines_are_classified_right(probabilities, name, label):
    predicted = [CLASS_NAMES[i] for i in probabilities(name, UNAMBIGUOUS[label]).argmax(axis=1)]
    assert predicted == [label] * len(UNAMBIGUOUS[label]), list(zip(UNAMBIGUOUS[label], predicted))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("headline, changed", SAME_CLASS)
def test_changing_a_name_number_or_place_keeps_the_class(probabilities, name, headline, changed):
    before, after = probabilities(name, [headline, changed])
    assert before.argmax() == after.argmax(), (CLASS_NAMES[before.argmax()], CLASS_NAMES[after.argmax()])
    assert abs(before - after).max() <= INVARIANCE_MAX, (before.round(3), after.round(3))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("headline, label, with_words", TOWARD)
def test_strong_words_of_a_class_move_probability_toward_it(probabilities, name, headline, label, with_words):
    before, after = probabilities(name, [headline, with_words])[:, CLASS_NAMES.index(label)]
    assert after >= before + DIRECTION_MIN, (label, round(float(before), 3), round(float(after), 3))
