"""Production schedule versions, their task links, and schedule items per task type."""
