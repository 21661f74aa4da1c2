"""Stage export: models/<cell>_attention_model.keras -> models/<cell>_serving/ (TF SavedModel).

Each SavedModel takes a 1-D tf.string batch of raw texts and returns the four class
probabilities; cleaning (newscat.text), the vocabulary (models/vocab.txt) and the network
all run inside the graph (newscat.serving), so TF Serving needs none of our Python code.
"""

import newscat  # noqa: F401  (first: it quiets TensorFlow's C++ start-up logs before keras loads it)

from newscat.errors import run_stage
from newscat.features import load_vocabulary
from newscat.inference import load_model
from newscat.io import StagedOutputs
from newscat.params import load_params
from newscat.registry import RNN_CELLS
from newscat.serving import PATH_OF, export_serving
from newscat.text import english_stopwords
from newscat.vocab_hash import check_vocabulary

EXPORT_SEED = 0


def main() -> None:
    import keras  # imported after newscat, which keeps TensorFlow's start-up lines out of the log

    sequence_length = load_params().vectorize.sequence_length
    for cell in RNN_CELLS:
        check_vocabulary(cell)
    vocabulary, stopwords = load_vocabulary(), english_stopwords()
    with StagedOutputs() as out:
        for cell in RNN_CELLS:
            # Loading gives the RNN's (unused, inference-irrelevant) seed-generator state a random
            # value unless seeded; a fixed seed makes the same model export to the same bytes.
            keras.utils.set_random_seed(EXPORT_SEED)
            export_serving(load_model(cell), vocabulary, sequence_length, out.path(PATH_OF[cell]), stopwords)
    print(f"export: {', '.join(str(PATH_OF[c]) for c in RNN_CELLS)} (raw text in, 4 class probabilities out)")


if __name__ == "__main__":
    run_stage(main)
