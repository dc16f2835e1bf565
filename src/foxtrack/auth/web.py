"""What a browser session needs besides tokens: cookies with the right flags, and a refusal of
cookie-authenticated writes sent from another site.

- Cookies are ``HttpOnly; SameSite=Lax`` and ``Secure`` when the request came over HTTPS, directly
  or through a trusted proxy (``FOXTRACK_TRUSTED_PROXIES``) that says ``X-Forwarded-Proto: https``.
- The refresh cookie is scoped to the refresh route, both as Zou serves it (``/auth/refresh-token``)
  and under the ``/api`` prefix the Kitsu UI calls it through.
- A POST, PUT, PATCH or DELETE authenticated by cookie must come from the API's own origin (or one of
  ``FOXTRACK_ALLOWED_ORIGINS``): a foreign ``Origin`` header, or without one a foreign ``Referer``,
  is refused with 403. Requests with an ``Authorization`` header are not concerned (a browser never
  adds one by itself).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from foxtrack.config import Settings
from foxtrack.core.errors import Forbidden

__all__ = ["ACCESS_COOKIE", "REFRESH_COOKIE", "REFRESH_PATHS", "check_cookie_origin", "clear_cookies",
           "request_is_https", "set_access_cookie", "set_login_cookies"]

ACCESS_COOKIE = "access_token_cookie"
REFRESH_COOKIE = "refresh_token_cookie"
REFRESH_PATHS = ("/auth/refresh-token", "/api/auth/refresh-token")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN_ORIGIN = "Cross-site request refused: cookie-authenticated changes must come from this site."


def _listed(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def from_trusted_proxy(request: Request, settings: Settings) -> bool:
    proxies = _listed(settings.trusted_proxies)
    host = request.client.host if request.client else ""
    return "*" in proxies or host in proxies


def request_is_https(request: Request, settings: Settings) -> bool:
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and from_trusted_proxy(request, settings)


def set_access_cookie(request: Request, response: Response, settings: Settings, access: str) -> None:
    response.set_cookie(ACCESS_COOKIE, access, httponly=True, samesite="lax", path="/",
                        secure=request_is_https(request, settings))


def set_login_cookies(request: Request, response: Response, settings: Settings, access: str, refresh: str) -> None:
    set_access_cookie(request, response, settings, access)
    secure = request_is_https(request, settings)
    for path in REFRESH_PATHS:
        response.set_cookie(REFRESH_COOKIE, refresh, httponly=True, samesite="lax", path=path, secure=secure)


def clear_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/")
    for path in REFRESH_PATHS:
        response.delete_cookie(REFRESH_COOKIE, path=path)


def _netloc(url: str) -> str:
    """``host:port`` of a URL, the port dropped when it is the scheme's default."""
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "?"
    if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)):
        return host
    return f"{host}:{port}"


def _own_netlocs(request: Request, settings: Settings) -> set[str]:
    scheme = "https" if request_is_https(request, settings) else "http"
    hosts = [request.headers.get("host", "")]
    if from_trusted_proxy(request, settings):
        hosts += [h.strip() for h in request.headers.get("x-forwarded-host", "").split(",")]
    own = {_netloc(f"{scheme}://{h}") for h in hosts if h}
    own |= {_netloc(f"{'https' if scheme == 'http' else 'http'}://{h}") for h in hosts if h and ":" in h}
    own |= {_netloc(o) for o in _listed(settings.allowed_origins)}
    own.discard("")
    return own


def check_cookie_origin(request: Request, settings: Settings) -> None:
    """Refuse (403) an unsafe request authenticated by cookie that comes from another site."""
    if request.method not in UNSAFE_METHODS or "authorization" in request.headers:
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return  # not a browser's cross-site request: browsers send Origin on every cross-site write
    if source.strip().lower() == "null" or _netloc(source) not in _own_netlocs(request, settings):
        raise Forbidden(FOREIGN_ORIGIN, body={"error": True, "message": FOREIGN_ORIGIN})
