"""Stages train_lstm, train_gru and train_baseline: the training loop and what it needs."""
