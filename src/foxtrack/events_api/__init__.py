"""events_api feature."""
