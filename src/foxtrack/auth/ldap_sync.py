"""The person sync with the directory (Zou's ``sync_with_ldap_server``): directory users become
active persons, changed ones are updated, and persons made from the directory that left it are
deactivated. Blocking; run by the ``foxtrack sync-with-ldap-server`` command."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ldap3
import sqlalchemy as sa
from ldap3.utils.conv import escape_filter_chars

from foxtrack.auth.ldap import connect
from foxtrack.config import Settings
from foxtrack.core.context import AppState, Tx
from foxtrack.core.models import PERSON
from foxtrack.crud import service as crud
from foxtrack.db import schema as s

__all__ = ["DirectoryUser", "SyncReport", "directory_users", "excluded_accounts", "sync"]

# Active Directory's userAccountControl bit for a disabled account
_AD_DISABLED = 0x2
_PAGE = 500


@dataclass(frozen=True)
class DirectoryUser:
    ldap_uid: str
    desktop_login: str
    first_name: str
    last_name: str
    email: str
    active: bool = True


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


def excluded_accounts(settings: Settings) -> set[str]:
    return {a.strip().lower() for a in re.split(r"[;,]", settings.ldap_excluded_accounts) if a.strip()}


def _first(entry: dict[str, Any], name: str) -> Any:
    value = entry.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _group_dn(settings: Settings) -> str:
    group = settings.ldap_group.strip()
    return group if "=" in group else f"CN={group},{settings.ldap_base_dn}"


def _suffix(base_dn: str) -> str:
    """The directory's suffix (its ``dc=`` part), where groups are looked up by name: they usually sit
    beside the people (``ou=groups``), not under them."""
    parts = base_dn.split(",")
    for index, part in enumerate(parts):
        if part.strip().lower().startswith("dc="):
            return ",".join(parts[index:])
    return base_dn


def _openldap_members(conn: ldap3.Connection, settings: Settings) -> tuple[set[str], set[str]]:
    """The member DNs (lower case) and memberUid values of LDAP_GROUP (a DN, or a cn in the suffix)."""
    group = settings.ldap_group.strip()
    kinds = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
    if "=" in group:
        conn.search(group, f"(&{kinds})", search_scope=ldap3.BASE,
                    attributes=["member", "uniqueMember", "memberUid"])
    else:
        conn.search(_suffix(settings.ldap_base_dn), f"(&{kinds}(cn={escape_filter_chars(group)}))",
                    attributes=["member", "uniqueMember", "memberUid"])
    dns: set[str] = set()
    uids: set[str] = set()
    for entry in conn.response or []:
        attributes = entry.get("attributes") or {}
        for key in ("member", "uniqueMember"):
            dns.update(_text(v).lower().replace(" ", "") for v in attributes.get(key) or [])
        uids.update(_text(v) for v in attributes.get("memberUid") or [])
    return dns, uids


def _entries(conn: ldap3.Connection, settings: Settings, query: str, attributes: list[str]) -> Iterable[dict[str, Any]]:
    pages = conn.extend.standard.paged_search(settings.ldap_base_dn, query, attributes=attributes,
                                              paged_size=_PAGE, generator=True)
    for entry in pages:
        if entry.get("type") == "searchResEntry":
            yield entry


def directory_users(settings: Settings) -> list[DirectoryUser]:
    """The persons of the directory under LDAP_BASE_DN (members of LDAP_GROUP when it is set), read
    with the LDAP_USER account."""
    conn = connect(settings, settings.ldap_user, settings.ldap_password)
    try:
        if settings.ldap_is_ad or settings.ldap_is_ad_simple:
            return _ad_users(conn, settings)
        return _openldap_users(conn, settings)
    finally:
        conn.unbind()


def _ad_users(conn: ldap3.Connection, settings: Settings) -> list[DirectoryUser]:
    query = "(objectClass=person)"
    if settings.ldap_group.strip():
        query = f"(&(objectClass=person)(memberOf={escape_filter_chars(_group_dn(settings))}))"
    attributes = ["sAMAccountName", "givenName", "sn", "mail", "objectGUID", "userAccountControl"]
    out = []
    for entry in _entries(conn, settings, query, attributes):
        attrs = entry.get("attributes") or {}
        login = _text(_first(attrs, "sAMAccountName"))
        if not login:
            continue
        guid = _first(attrs, "objectGUID")
        raw = entry.get("raw_attributes", {}).get("objectGUID") or []
        uid = str(uuid.UUID(bytes_le=raw[0])) if raw and len(raw[0]) == 16 else _text(guid) or login
        control = _text(_first(attrs, "userAccountControl")).strip()  # text: the server is read without its schema
        active = not (int(control) & _AD_DISABLED) if control.isdigit() else True
        out.append(DirectoryUser(uid.strip("{}"), login, _text(_first(attrs, "givenName")),
                                 _text(_first(attrs, "sn")), _text(_first(attrs, "mail")), active))
    return out


def _openldap_users(conn: ldap3.Connection, settings: Settings) -> list[DirectoryUser]:
    members: tuple[set[str], set[str]] | None = None
    if settings.ldap_group.strip():
        members = _openldap_members(conn, settings)
    out = []
    for entry in _entries(conn, settings, "(objectClass=person)", ["uid", "givenName", "sn", "cn", "mail"]):
        attrs = entry.get("attributes") or {}
        login = _text(_first(attrs, "uid"))
        if not login:
            continue
        if members is not None:
            dn = str(entry.get("dn", "")).lower().replace(" ", "")
            if dn not in members[0] and login not in members[1]:
                continue
        first_name = _text(_first(attrs, "givenName")) or _text(_first(attrs, "cn")) or login
        out.append(DirectoryUser(login, login, first_name, _text(_first(attrs, "sn")),
                                 _text(_first(attrs, "mail"))))
    return out


def _find(tx: Tx, user: DirectoryUser, email: str) -> dict[str, Any] | None:
    p = s.person.c
    columns = [p.id, p.first_name, p.last_name, p.email, p.desktop_login, p.active, p.ldap_uid,
               p.is_generated_from_ldap]
    for clause in (p.ldap_uid == user.ldap_uid, p.desktop_login == user.desktop_login,
                   sa.func.lower(p.email) == email.lower()):
        row = tx.execute(sa.select(*columns).where(clause, p.is_bot.is_not(True)).limit(1)).first()
        if row is not None:
            return dict(row._mapping)
    return None


def sync(state: AppState, users: list[DirectoryUser], step: Callable[[str], None] | None = None) -> SyncReport:
    """Create, update and deactivate persons from ``users`` in one unit of work."""
    settings = state.settings
    excluded = excluded_accounts(settings)
    report = SyncReport()
    seen: set[str] = set()
    p = s.person.c
    with state.write() as tx:
        for user in users:
            if step is not None:
                step(user.desktop_login)
            if user.desktop_login.lower() in excluded:
                report.skipped.append(f"{user.desktop_login}: excluded")
                continue
            seen.add(user.ldap_uid)
            email = user.email or f"{user.desktop_login}@{settings.email_domain}"
            values = {"first_name": user.first_name or user.desktop_login, "last_name": user.last_name,
                      "email": email, "desktop_login": user.desktop_login, "active": user.active,
                      "is_generated_from_ldap": True, "ldap_uid": user.ldap_uid}
            person = _find(tx, user, email)
            taken = tx.execute(sa.select(p.id).where(sa.func.lower(p.email) == email.lower(), p.is_bot.is_not(True),
                                                     p.id != (person["id"] if person else ""))).first()
            if taken is not None:
                report.skipped.append(f"{user.desktop_login}: {email} is another person's email")
                continue
            if person is None:
                created = crud.insert(tx, PERSON, {"role": "user", **values})
                tx.emit("person:new", {"person_id": created["id"]})
                report.created.append(email)
            elif any(person.get(k) != v for k, v in values.items()):
                crud.update_row(tx, PERSON, str(person["id"]), values)
                tx.emit("person:update", {"person_id": str(person["id"])})
                report.updated.append(email)
            else:
                report.unchanged += 1
        gone = tx.execute(sa.select(p.id, p.email, p.desktop_login, p.ldap_uid).where(
            p.is_generated_from_ldap.is_(True), p.active.is_(True))).all()
        for person_id, email, login, ldap_uid in gone:
            if ldap_uid in seen or (login or "").lower() in excluded:
                continue
            crud.update_row(tx, PERSON, str(person_id), {"active": False})
            tx.emit("person:update", {"person_id": str(person_id)})
            report.deactivated.append(str(email))
    state.invalidate_auth()
    return report
