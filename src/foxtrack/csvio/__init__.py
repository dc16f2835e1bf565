"""CSV import and export of a production (assets, shots, casting, edits, persons...), as Kitsu does."""
