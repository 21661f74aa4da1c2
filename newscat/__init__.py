"""newscat: shared code of the AG News categorization pipeline (params, data, text, model)."""

from newscat import quiet as _quiet

_quiet.install()  # before anything imports TensorFlow: its start-up lines stay out of stage logs

# AG News label ids 0..3, in the order TFDS uses (the CSV's classes 1..4 minus one).
CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")
