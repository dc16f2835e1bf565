#!/usr/bin/env bash
# Install what the tests need (a local .venv) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"
# The LDAP tests start their own OpenLDAP server (Debian's slapd and ldap-utils) and the SAML tests
# check signatures with xmlsec1: installed here when missing and we may (root with apt-get);
# otherwise those tests skip and say why.
need=""
{ [ -x /usr/sbin/slapd ] || command -v slapd >/dev/null; } || need="slapd ldap-utils"
command -v xmlsec1 >/dev/null || need="$need xmlsec1"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # shellcheck disable=SC2086
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $need; } >/dev/null 2>&1 || echo "scripts/test.sh: could not install$need; the LDAP/SAML tests will skip" >&2
  else
    echo "scripts/test.sh:$need not installed (needs root and apt-get); the LDAP/SAML tests will skip" >&2
  fi
fi
# two workers (this machine has two cores); a file runs whole on one worker (its module fixtures once)
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
