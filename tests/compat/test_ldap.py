"""LDAP (issue 12 item 6) against a real OpenLDAP ``slapd`` the test starts on loopback: the person
sync command (create, update, deactivate, excluded accounts, email domain, group filter) and the
login with ``auth_remote_ldap`` (a bind as the person; the local password only with the fallback),
on a live server over HTTP, SQLite and PostgreSQL; and, against a slapd with Active Directory's
attributes (``AD_SCHEMA``), the AD form of the sync (``sAMAccountName``, ``objectGUID``, disabled
accounts, ``memberOf``) and the search-then-bind login by ``sAMAccountName`` or ``userPrincipalName``."""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from foxtrack.app import build_state
from foxtrack.auth import ldap, ldap_sync
from foxtrack.config import Settings
from foxtrack.core.context import AppState
from foxtrack.db.engine import migrate
from foxtrack.db.seed import create_admin, ensure_reference_data
from foxtrack.testing import RunningServer
from foxtrack.testing.slapd import AD_SCHEMA, ROOT_DN, SUFFIX, RunningSlapd, missing, ssha, start_slapd
from tests.compat.auth_helpers import DATABASES, live_server

PEOPLE = f"ou=people,{SUFFIX}"
ROOT_PASSWORD = "directory-admin"
PASSWORDS = {"jdoe": "jdoe-directory-pw", "asmith": "asmith-directory-pw", "backup": "backup-pw",
             "mmajor": "mmajor-directory-pw"}


def _person(uid: str, given: str, sn: str, mail: str | None) -> str:
    lines = [f"dn: uid={uid},{PEOPLE}", "objectClass: inetOrgPerson", f"uid: {uid}", f"cn: {given} {sn}",
             f"sn: {sn}", f"givenName: {given}", f"userPassword: {ssha(PASSWORDS[uid])}"]
    if mail:
        lines.append(f"mail: {mail}")
    return "\n".join(lines)


DIRECTORY = "\n\n".join([
    f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: foxtrack\ndc: foxtrack",
    f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
    f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups",
    f"dn: ou=ad,{SUFFIX}\nobjectClass: organizationalUnit\nou: ad",
    _person("jdoe", "John", "Doe", "John.Doe@Foxtrack.test"),
    _person("asmith", "Anna", "Smith", None),  # no mail: the sync gives her one in EMAIL_DOMAIN
    _person("backup", "Backup", "Robot", "backup@foxtrack.test"),  # an excluded account
    # Active Directory's simple-bind form names the entry by the person's full name
    f"dn: cn=Mary Major,ou=ad,{SUFFIX}\nobjectClass: inetOrgPerson\ncn: Mary Major\nsn: Major\n"
    f"uid: mmajor\nuserPassword: {ssha(PASSWORDS['mmajor'])}",
    f"dn: cn=artists,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: artists\nmember: uid=jdoe,{PEOPLE}",
]) + "\n"

pytestmark = pytest.mark.skipif(missing() is not None, reason=f"no OpenLDAP: {missing()}")


@pytest.fixture(scope="module")
def slapd() -> Iterator[RunningSlapd]:
    directory = start_slapd(DIRECTORY, ROOT_PASSWORD)
    try:
        yield directory
    finally:
        directory.stop()


def ldap_env(directory: RunningSlapd, **extra: str) -> dict[str, str]:
    env = {"FOXTRACK_AUTH_STRATEGY": "auth_remote_ldap", "FOXTRACK_LDAP_HOST": "127.0.0.1",
           "FOXTRACK_LDAP_PORT": str(directory.port), "FOXTRACK_LDAP_BASE_DN": PEOPLE,
           "FOXTRACK_LDAP_USER": ROOT_DN, "FOXTRACK_LDAP_PASSWORD": ROOT_PASSWORD,
           "FOXTRACK_EMAIL_DOMAIN": "studio.test", "FOXTRACK_LDAP_EXCLUDED_ACCOUNTS": "backup;svc",
           "FOXTRACK_LDAP_FALLBACK": "true"}
    env.update(extra)
    return env


@pytest.fixture(scope="module", params=DATABASES)
def server(request: pytest.FixtureRequest, slapd: RunningSlapd) -> Iterator[RunningServer]:
    with live_server(request.param, ldap_env(slapd)) as srv:
        yield srv


def sync_command(server: RunningServer, directory: RunningSlapd, env: dict[str, str] | None = None) -> str:
    cmd = [sys.executable, "-m", "foxtrack.cli", "sync-with-ldap-server", "--data-dir", str(server.data_dir)]
    if server.database_url:
        cmd += ["--database-url", server.database_url]
    done = subprocess.run(cmd, env={**os.environ, **(env or ldap_env(directory)), "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def login(server: RunningServer, email: str, password: str) -> requests.Response:
    return requests.post(f"{server.api}/auth/login", json={"email": email, "password": password}, timeout=10)


def persons(server: RunningServer) -> dict[str, dict[str, Any]]:
    answer = login(server, server.email, server.password)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    listed = requests.get(f"{server.api}/data/persons", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert listed.status_code == 200, listed.text
    return {p["desktop_login"] or p["email"]: p for p in listed.json()}


def test_sync_then_login_then_resync(server: RunningServer, slapd: RunningSlapd) -> None:
    out = sync_command(server, slapd)
    assert "2 created" in out and "1 skipped" in out, out
    found = persons(server)
    jdoe, asmith = found["jdoe"], found["asmith"]
    assert (jdoe["first_name"], jdoe["last_name"], jdoe["email"]) == ("John", "Doe", "John.Doe@Foxtrack.test")
    assert jdoe["is_generated_from_ldap"] is True and jdoe["ldap_uid"] == "jdoe" and jdoe["active"] is True
    assert asmith["email"] == "asmith@studio.test" and asmith["role"] == "user"
    assert "backup" not in found

    # the directory's password logs in (email, any case, or desktop login); a wrong one does not
    answer = login(server, "john.doe@foxtrack.test", PASSWORDS["jdoe"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["login"] is True and answer.json()["user"]["id"] == jdoe["id"]
    assert login(server, "asmith", PASSWORDS["asmith"]).status_code == 200
    refused = login(server, "asmith@studio.test", PASSWORDS["jdoe"])
    assert refused.status_code == 400 and refused.json()["login"] is False
    # the admin is not in the directory: LDAP_FALLBACK lets the local password in
    assert login(server, server.email, server.password).status_code == 200

    # a second run changes nothing; then the directory changes
    assert "0 created, 0 updated, 2 unchanged" in sync_command(server, slapd)
    slapd.modify(f"dn: uid=jdoe,{PEOPLE}\nchangetype: modify\nreplace: sn\nsn: Doe-Ray\n-\n"
                 f"replace: userPassword\nuserPassword: new-directory-pw\n\n"
                 f"dn: uid=asmith,{PEOPLE}\nchangetype: delete\n")
    try:
        out = sync_command(server, slapd)
        assert "0 created, 1 updated" in out and "1 deactivated" in out, out
        found = persons(server)
        assert found["jdoe"]["last_name"] == "Doe-Ray" and found["jdoe"]["active"] is True
        assert found["asmith"]["active"] is False
        assert login(server, "jdoe", PASSWORDS["jdoe"]).status_code == 400
        assert login(server, "jdoe", "new-directory-pw").status_code == 200
        assert login(server, "asmith", PASSWORDS["asmith"]).status_code == 400
    finally:
        slapd.modify(f"dn: uid=jdoe,{PEOPLE}\nchangetype: modify\nreplace: sn\nsn: Doe\n-\n"
                     f"replace: userPassword\nuserPassword: {PASSWORDS['jdoe']}\n\n"
                     + _person("asmith", "Anna", "Smith", None).replace("\n", "\nchangetype: add\n", 1) + "\n")


# ------------------------------------------------------------------ in process, a fresh SQLite each


@contextlib.contextmanager
def ldap_state(folder: Path, directory: RunningSlapd, **settings: Any) -> Iterator[AppState]:
    """A foxtrack in process on a fresh SQLite in ``folder``, logging in against ``directory``."""
    state = build_state(Settings(data_dir=folder, bcrypt_rounds=4, auth_strategy="auth_remote_ldap",
                                 ldap_port=directory.port, ldap_user=ROOT_DN, ldap_password=ROOT_PASSWORD,
                                 email_domain="studio.test", **settings))
    migrate(state.engine)
    ensure_reference_data(state.engine)
    try:
        yield state
    finally:
        state.engine.dispose()


@pytest.fixture()
def local_state(tmp_path: Path, slapd: RunningSlapd) -> Iterator[AppState]:
    with ldap_state(tmp_path, slapd, ldap_base_dn=PEOPLE, ldap_excluded_accounts="backup") as state:
        yield state


def test_verify_without_fallback(local_state: AppState) -> None:
    ldap_sync.sync(local_state, ldap_sync.directory_users(local_state.settings))
    create_admin(local_state.engine, "local@studio.test", "local-password", 4)
    assert ldap.verify(local_state, "john.doe@foxtrack.test", PASSWORDS["jdoe"]) is True
    assert ldap.verify(local_state, "jdoe", "wrong") is False
    # an empty password would be an anonymous bind, which slapd accepts: refused before the bind
    assert ldap.verify(local_state, "jdoe", "") is False
    assert ldap.verify(local_state, "nobody@studio.test", PASSWORDS["jdoe"]) is False
    # no fallback: a local account cannot log in with its local password
    assert ldap.verify(local_state, "local@studio.test", "local-password") is False
    local_state.settings.ldap_fallback = True
    assert ldap.verify(local_state, "local@studio.test", "local-password") is True
    # an unreachable directory falls back too (and only then)
    local_state.settings.ldap_port = 1
    assert ldap.verify(local_state, "local@studio.test", "local-password") is True
    assert ldap.verify(local_state, "jdoe", PASSWORDS["jdoe"]) is False


def test_group_filter_and_ad_simple_bind(local_state: AppState, slapd: RunningSlapd) -> None:
    settings = local_state.settings
    assert {u.desktop_login for u in ldap_sync.directory_users(settings)} == {"jdoe", "asmith", "backup"}
    for group in ("artists", f"cn=artists,ou=groups,{SUFFIX}"):
        settings.ldap_group = group
        assert [u.desktop_login for u in ldap_sync.directory_users(settings)] == ["jdoe"]
    report = ldap_sync.sync(local_state, ldap_sync.directory_users(settings))
    assert report.created == ["John.Doe@Foxtrack.test"] and report.deactivated == []

    # Active Directory's simple form binds as CN=<full name>,<base DN>
    settings.ldap_is_ad_simple, settings.ldap_base_dn = True, f"ou=ad,{SUFFIX}"
    person = {"first_name": "Mary", "last_name": "Major", "desktop_login": "mmajor"}
    assert ldap.bind_name(settings, person) == f"CN=Mary Major,ou=ad,{SUFFIX}"
    ldap.connect(settings, str(ldap.bind_name(settings, person)), PASSWORDS["mmajor"]).unbind()
    with pytest.raises(Exception, match="invalidCredentials"):
        ldap.connect(settings, str(ldap.bind_name(settings, person)), "wrong")
    # the other forms
    settings.ldap_is_ad_simple, settings.ldap_is_ad = False, True
    assert ldap.bind_name(settings, person) == "studio.local\\mmajor"
    settings.ldap_is_ad = False
    assert ldap.bind_name(settings, {"desktop_login": "a,b=c"}) == f"uid=a\\,b\\=c,{settings.ldap_base_dn}"


# ------------------------------------------------------------------ Active Directory's attributes

AD_USERS = f"ou=users,{SUFFIX}"
AD_PASSWORDS = {"jroe": "jroe-ad-pw", "kold": "kold-ad-pw", "m.roe": "mroe-ad-pw"}
JROE_GUID = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")


def _ad_user(cn: str, login: str, upn: str, control: int, *member_of: str) -> str:
    sn = cn.split()[-1]
    guid = JROE_GUID if login == "jroe" else uuid.uuid4()
    lines = [f"dn: CN={cn},{AD_USERS}", "objectClass: user", f"cn: {cn}", f"sn: {sn}", f"givenName: {cn.split()[0]}",
             f"sAMAccountName: {login}", f"userPrincipalName: {upn}", f"userAccountControl: {control}",
             f"objectGUID:: {base64.b64encode(guid.bytes_le).decode()}", f"userPassword: {ssha(AD_PASSWORDS[login])}"]
    return "\n".join(lines + [f"memberOf: CN={group},{AD_USERS}" for group in member_of])


AD_DIRECTORY = "\n\n".join([
    f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: foxtrack\ndc: foxtrack",
    f"dn: {AD_USERS}\nobjectClass: organizationalUnit\nou: users",
    _ad_user("Jane Roe", "jroe", "jroe@studio.ad", 512, "artists"),
    _ad_user("Ken Old", "kold", "kold@studio.ad", 514),  # 514: the account is disabled
    _ad_user("Mary Roe", "m.roe", "mroe@studio.ad", 512),  # her UPN is not her sAMAccountName
]) + "\n"


@pytest.fixture(scope="module")
def ad_slapd() -> Iterator[RunningSlapd]:
    directory = start_slapd(AD_DIRECTORY, ROOT_PASSWORD, schemas=(AD_SCHEMA,))
    try:
        yield directory
    finally:
        directory.stop()


@pytest.fixture()
def ad_state(tmp_path: Path, ad_slapd: RunningSlapd) -> Iterator[AppState]:
    with ldap_state(tmp_path, ad_slapd, ldap_base_dn=AD_USERS, ldap_is_ad=True, ldap_domain="studio.ad",
                    ldap_login_attributes="sAMAccountName,userPrincipalName") as state:
        yield state


def ad_env(directory: RunningSlapd) -> dict[str, str]:
    return ldap_env(directory, FOXTRACK_LDAP_BASE_DN=AD_USERS, FOXTRACK_LDAP_IS_AD="true",
                    FOXTRACK_LDAP_DOMAIN="studio.ad", FOXTRACK_LDAP_FALLBACK="false",
                    FOXTRACK_LDAP_LOGIN_ATTRIBUTES="sAMAccountName,userPrincipalName")


@pytest.fixture(scope="module", params=DATABASES)
def ad_server(request: pytest.FixtureRequest, ad_slapd: RunningSlapd) -> Iterator[RunningServer]:
    with live_server(request.param, ad_env(ad_slapd)) as srv:
        yield srv


def test_active_directory_sync_then_login_over_http(ad_server: RunningServer, ad_slapd: RunningSlapd) -> None:
    out = sync_command(ad_server, ad_slapd, ad_env(ad_slapd))
    assert "3 created" in out, out
    answer = login(ad_server, "jroe", AD_PASSWORDS["jroe"])  # found by sAMAccountName, bound as its DN
    assert answer.status_code == 200 and answer.json()["user"]["email"] == "jroe@studio.test", answer.text
    assert login(ad_server, "jroe@studio.test", "wrong").status_code == 400
    disabled = login(ad_server, "kold", AD_PASSWORDS["kold"])  # the sync deactivated the disabled account
    assert disabled.status_code == 401 and disabled.json()["message"] == "User is inactive."


def test_active_directory_sync_and_search_then_bind(ad_state: AppState) -> None:
    settings = ad_state.settings
    users = {u.desktop_login: u for u in ldap_sync.directory_users(settings)}
    assert set(users) == {"jroe", "kold", "m.roe"}
    assert users["jroe"].ldap_uid == str(JROE_GUID) and users["jroe"].email == "" and users["jroe"].active
    assert users["kold"].active is False  # userAccountControl's disabled bit
    settings.ldap_group = "artists"  # AD's form: memberOf CN=artists,<base DN>
    assert [u.desktop_login for u in ldap_sync.directory_users(settings)] == ["jroe"]
    settings.ldap_group = ""
    report = ldap_sync.sync(ad_state, list(users.values()))
    assert sorted(report.created) == ["jroe@studio.test", "kold@studio.test", "m.roe@studio.test"]

    # the login finds the entry by sAMAccountName and binds as its DN
    assert ldap.found_dn(settings, {"desktop_login": "jroe"}) == f"cn=Jane Roe,{AD_USERS}"
    assert ldap.verify(ad_state, "jroe@studio.test", AD_PASSWORDS["jroe"]) is True
    assert ldap.verify(ad_state, "jroe", "wrong") is False
    assert ldap.verify(ad_state, "jroe", "") is False
    # or by userPrincipalName: <login>@<LDAP_DOMAIN>
    mary = {"id": "not-stored", "email": "mary@studio.test", "first_name": "Mary", "last_name": "Roe",
            "desktop_login": "mroe", "password": None}
    assert ldap.verify(ad_state, mary, AD_PASSWORDS["m.roe"]) is True
    # no entry, or a login that would be a filter, binds as nobody
    assert ldap.found_dn(settings, {"desktop_login": "nobody"}) is None
    assert ldap.found_dn(settings, {"desktop_login": "*"}) is None
    assert ldap.found_dn(settings, {"desktop_login": "jroe)(sAMAccountName=*"}) is None
    # without the setting, the AD form is Zou's NTLM DOMAIN\login, which slapd does not speak
    settings.ldap_login_attributes = ""
    assert ldap.verify(ad_state, "jroe", AD_PASSWORDS["jroe"]) is False
