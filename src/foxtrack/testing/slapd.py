"""A real OpenLDAP server for tests: Debian's ``slapd`` on a free loopback port, with its own
``slapd.conf`` and database in a temporary folder, loaded from LDIF and removed on ``stop()``.

``AD_SCHEMA`` gives it the attributes of Active Directory's ``user`` entries that foxtrack reads
(``sAMAccountName``, ``userPrincipalName``, ``objectGUID``, ``userAccountControl``, ``memberOf``, with
AD's OIDs), so the AD forms of the sync and of the search-then-bind login run against it. It is not
AD: no NTLM, no UPN or ``DOMAIN\\login`` binds, and ``memberOf`` is a plain attribute set by the LDIF."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from foxtrack.testing import free_port, stop_process

__all__ = ["AD_SCHEMA", "SUFFIX", "ROOT_DN", "RunningSlapd", "missing", "ssha", "start_slapd"]

SUFFIX = "dc=foxtrack,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIRS = (Path("/usr/lib/ldap"), Path("/usr/lib/x86_64-linux-gnu/ldap"), Path("/usr/lib64/openldap"))
_TEXT = "EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15"
AD_SCHEMA = f"""
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' {_TEXT} SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' {_TEXT} SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID' EQUALITY octetStringMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.102 NAME 'memberOf' EQUALITY distinguishedNameMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL
    MAY ( sAMAccountName $ userPrincipalName $ objectGUID $ userAccountControl $ memberOf $ mail $ givenName ) )
"""


def _tool(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for d in ("/usr/sbin", "/usr/bin")
                                       if (p := Path(d) / name).is_file()), None)


def missing() -> str | None:
    """Why slapd cannot run here (None when it can)."""
    for name in ("slapd", "slapadd", "ldapmodify"):
        if _tool(name) is None:
            return f"{name} is not installed (Debian packages slapd and ldap-utils; scripts/test.sh installs them as root)"
    if not all((SCHEMA_DIR / f"{n}.schema").is_file() for n in SCHEMAS):
        return f"the OpenLDAP schemas are not in {SCHEMA_DIR}"
    return None


def ssha(password: str) -> str:
    """An ``{SSHA}`` userPassword value, as ``slappasswd`` makes them."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


@dataclass
class RunningSlapd:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    root_password: str

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def modify(self, ldif: str) -> None:
        """Apply an LDIF change (``changetype`` records) as the root DN."""
        tool = _tool("ldapmodify")
        assert tool is not None
        subprocess.run([tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", self.root_password],
                       input=ldif.encode(), check=True, capture_output=True, timeout=10)

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def _config(folder: Path, root_password: str, schemas: tuple[str, ...]) -> str:
    modules = next((d for d in MODULE_DIRS if (d / "back_mdb.so").exists() or (d / "back_mdb.la").exists()), None)
    lines = [f"include {SCHEMA_DIR / f'{n}.schema'}" for n in SCHEMAS]
    for index, schema in enumerate(schemas):
        path = folder / f"extra-{index}.schema"
        path.write_text(schema)
        lines.append(f"include {path}")
    lines += [f"pidfile {folder / 'slapd.pid'}"]
    if modules is not None:  # a build with back_mdb compiled in needs no module
        lines += [f"modulepath {modules}", "moduleload back_mdb"]
    lines += ["database mdb", f'suffix "{SUFFIX}"', f'rootdn "{ROOT_DN}"', f"rootpw {root_password}",
              f"directory {folder / 'data'}", "maxsize 16777216"]
    return "\n".join(lines) + "\n"


def start_slapd(ldif: str, root_password: str = "directory-admin", timeout: float = 10.0,
                schemas: tuple[str, ...] = ()) -> RunningSlapd:
    """Load ``ldif`` (entries under ``SUFFIX``, the suffix entry included) and serve it on loopback;
    ``schemas`` (text in slapd.conf's schema format, e.g. ``AD_SCHEMA``) are loaded after the standard ones."""
    reason = missing()
    if reason is not None:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="foxtrack-slapd-"))
    (folder / "data").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text(_config(folder, root_password, schemas))
    (folder / "entries.ldif").write_text(ldif)
    slapadd, slapd = _tool("slapadd"), _tool("slapd")
    assert slapadd is not None and slapd is not None
    subprocess.run([slapadd, "-q", "-f", str(conf), "-l", str(folder / "entries.ldif")], check=True,
                   capture_output=True, timeout=30)
    port = free_port()
    log = open(folder / "slapd.log", "wb")  # noqa: SIM115 - closed with the process
    # -d 0: stay in the foreground (a child of the test) and log nothing but errors
    process = subprocess.Popen([slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
                               stdout=log, stderr=subprocess.STDOUT)
    running = RunningSlapd(port, folder, process, root_password)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = (folder / "slapd.log").read_text(errors="replace")
            running.stop()
            raise RuntimeError(f"slapd exited with {process.returncode}: {text}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return running
        except OSError:
            time.sleep(0.02)
    running.stop()
    raise RuntimeError(f"slapd did not listen on 127.0.0.1:{port} within {timeout}s")
