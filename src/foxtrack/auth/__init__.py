"""Authentication: login, tokens (JWT), refresh, logout, bots."""
