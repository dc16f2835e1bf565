"""API root, health and public configuration."""
