"""Instance sync importers (``/import/kitsu/*``) and OpenTimelineIO edit import."""
