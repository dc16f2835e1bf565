"""Files: project file trees, working files and output files."""
