"""One authenticated gazu client per project handle, renewed when the token expires."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import gazu
from gazu.client import KitsuClient

from foxtrack.client._errors import ConfigurationError

__all__ = ["Connection", "settings_from_env"]


class Connection:
    """A gazu ``KitsuClient`` of its own (gazu's global default client is left alone).

    ``url`` is the API URL as gazu wants it: ``https://kitsu.example.com/api`` behind Kitsu's
    proxy or foxtrack, the bare ``http://host:5000`` for a Zou without proxy.

    With a login and password, an expired session is renewed transparently: gazu first tries the
    refresh token, and when that fails too, the connection logs in again and gazu retries the
    request. A bot token cannot be renewed: a revoked or expired one raises gazu's
    ``NotAuthenticatedException``.
    """

    def __init__(self, url: str, *, login: str | None = None, password: str | None = None,
                 token: str | None = None, ssl_verify: bool = True) -> None:
        url = url.rstrip("/")
        if token is None and not (login and password):
            raise ConfigurationError("give a login and a password, or a bot token")
        self.url = url
        self.login = login
        self._password = password
        self._token = token
        self._lock = threading.Lock()
        self.client: KitsuClient = gazu.client.create_client(
            url, ssl_verify=ssl_verify, use_refresh_token=True, callback_not_authenticated=self._renew)
        self.authenticate()

    def authenticate(self) -> None:
        """Log in (or install the bot token) on this connection's client."""
        self.client.tokens = {}
        if self._token is not None:
            gazu.client.set_tokens({"access_token": self._token}, client=self.client)
        else:
            gazu.log_in(self.login, self._password, client=self.client)  # type: ignore[no-untyped-call]

    def _renew(self, _client: KitsuClient, _path: str) -> bool:
        if self._token is not None or not self._lock.acquire(blocking=False):
            return False
        try:
            self.authenticate()
            return True
        except gazu.exception.AuthFailedException:
            return False
        finally:
            self._lock.release()

    def current_user(self) -> dict[str, Any]:
        """The person (or bot) this connection acts as."""
        user: dict[str, Any] = gazu.client.get_current_user(client=self.client)
        return user


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Connection settings from ``TRACKER_URL``, ``TRACKER_LOGIN``, ``TRACKER_PASSWORD``,
    ``TRACKER_TOKEN`` and ``TRACKER_PROJECT`` (the ADM pipeline's ``adm_env.yml`` names)."""
    env = os.environ if environ is None else environ
    url = env.get("TRACKER_URL")
    project = env.get("TRACKER_PROJECT")
    if not url:
        raise ConfigurationError("TRACKER_URL is not set (e.g. https://kitsu.example.com/api)")
    if not url.rstrip("/").endswith("/api"):
        raise ConfigurationError(f"TRACKER_URL must end with /api (got {url!r})")
    if not project:
        raise ConfigurationError("TRACKER_PROJECT is not set (the name of the production)")
    return {"url": url, "login": env.get("TRACKER_LOGIN"), "password": env.get("TRACKER_PASSWORD"),
            "token": env.get("TRACKER_TOKEN"), "project": project}
