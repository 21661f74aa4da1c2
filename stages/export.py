"""Stage export: models/<cell>_attention_model.keras -> models/<cell>_serving/ (TF SavedModel).

Each SavedModel takes a 1-D tf.string batch of raw texts and returns the four class
probabilities; cleaning (newscat.data.text), the vocabulary (models/vocab.txt) and the network
all run inside the graph (newscat.serve.serving), so TF Serving needs none of our Python code.
"""

from newscat.core.errors import run_stage
from newscat.core.inference import load_model
from newscat.core.registry import RNN_CELLS, serving_path
from newscat.core.staging import StagedOutputs
from newscat.core.vocab import trained_inputs

EXPORT_SEED = 0


def main() -> None:
    import keras

    from newscat.serve.serving import export_serving

    with StagedOutputs() as out:
        for cell in RNN_CELLS:
            # Loading gives the RNN's (unused, inference-irrelevant) seed-generator state a random
            # value unless seeded; a fixed seed makes the same model export to the same bytes.
            keras.utils.set_random_seed(EXPORT_SEED)
            vocabulary, sequence_length = trained_inputs(cell)
            export_serving(load_model(cell), vocabulary, sequence_length, out.path(serving_path(cell)))
    print(f"export: {', '.join(str(serving_path(c)) for c in RNN_CELLS)} (raw text in, 4 class probabilities out)")


if __name__ == "__main__":
    run_stage(main)
