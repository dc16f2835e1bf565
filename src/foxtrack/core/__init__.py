"""Shared building blocks: JSON responses, errors, request context, filters, model registry."""
