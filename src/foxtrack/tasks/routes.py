"""Routes of this feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
