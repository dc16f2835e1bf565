"""foxtrack: a production tracker for animation and VFX studios that speaks the Kitsu API."""

__version__ = "0.1.0"
# The Kitsu API version foxtrack answers as (gazu and Kitsu read it from `GET /api/`).
ZOU_COMPAT_VERSION = "1.0.97"

__all__ = ["ZOU_COMPAT_VERSION", "__version__"]
