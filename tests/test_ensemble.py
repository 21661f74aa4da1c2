"""The ensemble row of evaluate: mean of the models' probabilities, then argmax."""

import numpy as np
import pytest

from newscat.core.inference import ensemble_probabilities


def test_ensemble_is_the_mean_of_probabilities():
    a = np.array([[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])
    b = np.array([[0.1, 0.7, 0.1, 0.1], [0.0, 0.0, 0.0, 1.0]])
    np.testing.assert_allclose(ensemble_probabilities([a, b]),
                               [[0.4, 0.4, 0.1, 0.1], [0.125, 0.125, 0.125, 0.625]])


def test_one_confident_model_outvotes_two_hesitant_ones():
    hesitant = np.array([[0.4, 0.35, 0.15, 0.1]])      # both lean to class 0
    confident = np.array([[0.0, 0.98, 0.01, 0.01]])    # sure of class 1
    assert ensemble_probabilities([hesitant, hesitant, confident]).argmax(1).tolist() == [1]


@pytest.mark.parametrize("probabilities", [[], [np.ones((2, 4)) / 4, np.ones((3, 4)) / 4]])
def test_no_models_or_mismatched_rows_are_refused(probabilities):
    with pytest.raises(ValueError):
        ensemble_probabilities(probabilities)
