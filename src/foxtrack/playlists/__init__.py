"""playlists feature."""
