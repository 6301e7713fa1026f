"""Training the project's own extractive reader (see `qa train-reader`)."""
