"""tasks feature."""
