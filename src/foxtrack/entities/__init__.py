"""entities feature."""
