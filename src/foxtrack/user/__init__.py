"""user feature."""
