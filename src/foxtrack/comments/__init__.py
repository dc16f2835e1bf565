"""comments feature."""
