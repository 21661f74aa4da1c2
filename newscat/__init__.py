"""newscat: shared code of the AG News categorization pipeline (params, data, text, model)."""

# AG News label ids 0..3, in the order TFDS uses (the CSV's classes 1..4 minus one).
CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")
