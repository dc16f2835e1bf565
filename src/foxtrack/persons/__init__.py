"""persons feature."""
