"""LDAP login (``auth_strategy = "auth_remote_ldap"``): the password is checked by binding to the
directory as the person, in the forms Zou uses (blocking: called from the login on the thread pool).

- OpenLDAP: ``uid=<desktop_login>,<ldap_base_dn>``, simple bind;
- Active Directory: ``<ldap_domain>\\<desktop_login>``, NTLM;
- Active Directory, simple bind (``ldap_is_ad_simple``): ``CN=<full name>,<ldap_base_dn>``;
- search then bind (``ldap_login_attributes``, e.g. ``sAMAccountName,userPrincipalName``): the entry
  whose attribute is the person's login (``<login>@<ldap_domain>`` too for ``userPrincipalName``) is
  looked up as ``ldap_user`` and the bind is made as its DN, a simple bind, which every directory
  takes (AD's accounts keep their DN when their login or UPN changes, and NTLM can stay off).

With ``ldap_fallback`` a refused or unreachable directory falls back to the local password.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import ldap3
import sqlalchemy as sa
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from foxtrack.config import Settings
from foxtrack.core.context import AppState
from foxtrack.db import schema as s
from foxtrack.db.seed import check_password

__all__ = ["LDAP_STRATEGY", "bind_name", "connect", "found_dn", "login_attributes", "server", "uses_ldap", "verify"]

log = logging.getLogger("foxtrack.ldap")

LDAP_STRATEGY = "auth_remote_ldap"

_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_PERSON_COLUMNS = ("id", "email", "first_name", "last_name", "desktop_login", "password")


def uses_ldap(settings: Settings) -> bool:
    return settings.auth_strategy == LDAP_STRATEGY


def server(settings: Settings) -> ldap3.Server:
    return ldap3.Server(settings.ldap_host, port=settings.ldap_port, use_ssl=settings.ldap_ssl,
                        connect_timeout=settings.ldap_timeout_seconds, get_info=ldap3.NONE)


def bind_name(settings: Settings, person: dict[str, Any]) -> str | None:
    """The name the person binds with, or None when the person has not got what the form needs."""
    login = str(person.get("desktop_login") or "")
    if settings.ldap_is_ad_simple:
        full_name = f"{person.get('first_name') or ''} {person.get('last_name') or ''}".strip()
        return f"CN={escape_rdn(full_name)},{settings.ldap_base_dn}" if full_name else None
    if not login:
        return None
    if settings.ldap_is_ad:
        return f"{settings.ldap_domain}\\{login}"
    return f"uid={escape_rdn(login)},{settings.ldap_base_dn}"


def login_attributes(settings: Settings) -> list[str]:
    """The attribute names of ``ldap_login_attributes`` (names only: they go into a search filter)."""
    return [a for a in (n.strip() for n in settings.ldap_login_attributes.split(",")) if _ATTRIBUTE.fullmatch(a)]


def found_dn(settings: Settings, person: dict[str, Any]) -> str | None:
    """Search then bind: the DN of the one entry under ``ldap_base_dn`` whose login attribute is the
    person's login, found as ``ldap_user``; None when there is not exactly one."""
    login = str(person.get("desktop_login") or "")
    if not login:
        return None
    clauses = []
    for attribute in login_attributes(settings):
        clauses.append(f"({attribute}={escape_filter_chars(login)})")
        if attribute.lower() == "userprincipalname" and "@" not in login:
            clauses.append(f"({attribute}={escape_filter_chars(f'{login}@{settings.ldap_domain}')})")
    conn = connect(settings, settings.ldap_user, settings.ldap_password)
    try:
        conn.search(settings.ldap_base_dn, f"(&(objectClass=person)(|{''.join(clauses)}))", attributes=[],
                    size_limit=2)
        found = [str(e["dn"]) for e in conn.response or [] if e.get("type") == "searchResEntry"]
    finally:
        conn.unbind()
    return found[0] if len(found) == 1 else None


def connect(settings: Settings, user: str, password: str) -> ldap3.Connection:
    """A bound connection (raises ldap3's errors: refused credentials, unreachable server)."""
    ntlm = settings.ldap_is_ad and not settings.ldap_is_ad_simple and not login_attributes(settings)
    authentication = ldap3.NTLM if ntlm else ldap3.SIMPLE
    conn = ldap3.Connection(server(settings), user=user, password=password, authentication=authentication,
                            raise_exceptions=True, receive_timeout=max(1, round(settings.ldap_timeout_seconds)),
                            read_only=True)
    conn.bind()
    return conn


def _load(state: AppState, person_or_email: dict[str, Any] | str) -> dict[str, Any] | None:
    p = s.person.c
    if isinstance(person_or_email, dict):
        if all(k in person_or_email for k in _PERSON_COLUMNS):
            return person_or_email
        clause = p.id == str(person_or_email["id"])
    else:
        key = person_or_email
        clause = sa.or_(sa.func.lower(p.email) == key.lower(), p.desktop_login == key)
    with state.read() as conn:
        row = conn.execute(
            sa.select(*(s.person.c[c] for c in _PERSON_COLUMNS)).where(clause, p.is_bot.is_not(True))
            .order_by(p.active.desc()).limit(1)
        ).first()
    return dict(row._mapping) if row is not None else None


def _fallback(settings: Settings, person: dict[str, Any], password: str) -> bool:
    hashed = person.get("password")
    return bool(settings.ldap_fallback and hashed and check_password(password, str(hashed)))


def verify(state: AppState, person_or_email: dict[str, Any] | str, password: str) -> bool:
    """Whether ``password`` is the person's directory password (or, with ``ldap_fallback``, the
    local one). ``person_or_email`` is a person row (its id at least) or an email / desktop login."""
    settings = state.settings
    person = _load(state, person_or_email)
    if person is None:
        return False
    # an empty password would make an unauthenticated bind, which servers accept
    if not password:
        return _fallback(settings, person, password)
    try:
        name = found_dn(settings, person) if login_attributes(settings) else bind_name(settings, person)
        if name is None:
            return _fallback(settings, person, password)
        connect(settings, name, password).unbind()
    except ldap_errors.LDAPInvalidCredentialsResult:
        log.info("LDAP refused the credentials of %s", person.get("email"))
        return _fallback(settings, person, password)
    except ldap_errors.LDAPException as exc:
        log.error("LDAP server %s:%s: %s", settings.ldap_host, settings.ldap_port, exc)
        return _fallback(settings, person, password)
    return True
