"""Zou's public guest API for shared playlists (``/shared/playlists/<token>/...``)."""
