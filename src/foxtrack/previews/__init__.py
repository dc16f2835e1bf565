"""previews feature."""
