"""What every stage shares: params, names and file locations, errors, outputs, the vocabulary's
ids, the intermediate data, the model and the one inference entry."""
