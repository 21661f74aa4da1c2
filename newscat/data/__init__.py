"""Stages download, clean and vectorize: raw input, text cleaning, splits, token ids."""
