"""newscat: the shared code of the AG News categorization pipeline, one folder per part of the
pipeline: core (what every stage shares), data, train, evaluate, serve. Importing it does
nothing else."""
