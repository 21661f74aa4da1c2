"""newscat: shared code of the AG News categorization pipeline (params, data, text, model)."""

import os

# Keep TensorFlow's C++ start-up chatter out of stage logs; set here because every stage
# script and the `newscat` command import this package before TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# AG News label ids 0..3, in the order TFDS uses (the CSV's classes 1..4 minus one).
CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")
