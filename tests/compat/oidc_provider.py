"""A real OpenID Connect provider for the OIDC tests: django-oauth-toolkit in a throwaway Django
project (this one file, configured in code, with its own SQLite file), served on loopback.

    python oidc_provider.py CONFIG.json

CONFIG holds ``port``, ``folder`` (the database), ``client_id``, ``client_secret``, ``redirect_uri``
(or it is written later to ``<folder>/redirect_uri``) and ``users`` (username, password, email, first_name, last_name, email_verified). The provider's
own login form and consent page are what the test submits; PKCE is required, ID tokens are RS256.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

CONFIG: dict[str, Any] = json.loads(Path(sys.argv[1]).read_text())
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
LOGIN_PAGE = """<html><body><form method="post" action="">{% csrf_token %}{{ form.as_p }}
<input type="hidden" name="next" value="{{ next }}"><button type="submit">Log in</button></form></body></html>"""

settings.configure(
    DEBUG=False,
    SECRET_KEY="throwaway-oidc-provider-for-tests",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF="__main__",
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                    "oauth2_provider"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                           "NAME": str(Path(CONFIG["folder"]) / "provider.sqlite3")}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {
        "context_processors": ["django.template.context_processors.request"],
        "loaders": [("django.template.loaders.locmem.Loader", {"registration/login.html": LOGIN_PAGE}),
                    "django.template.loaders.app_directories.Loader"]}}],
    LOGIN_URL="/accounts/login/",
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # a fast start, test users only
    USE_TZ=True,
    # tables made straight from the models (migrate --run-syncdb): much faster than replaying migrations
    MIGRATION_MODULES={app: None for app in ("auth", "contenttypes", "sessions", "oauth2_provider")},
    OAUTH2_PROVIDER={
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": KEY,
        "PKCE_REQUIRED": True,
        "OAUTH2_VALIDATOR_CLASS": "__main__.Validator",
        "SCOPES": {"openid": "OpenID Connect", "profile": "Your name", "email": "Your email address"},
    },
)
django.setup()

from django.contrib.auth import views as auth_views  # noqa: E402 - after django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import run  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import include, path  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402
from oauth2_provider.oauth2_validators import OAuth2Validator  # noqa: E402


class Validator(OAuth2Validator):  # type: ignore[misc]
    """The standard claims of the user (given to the scopes OIDC names for them)."""

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        verified = {u["username"]: u.get("email_verified", True) for u in CONFIG["users"]}
        return {"email": user.email, "email_verified": verified.get(user.username, True),
                "given_name": user.first_name, "family_name": user.last_name,
                "name": f"{user.first_name} {user.last_name}".strip()}


urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view()),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]

call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
for spec in CONFIG["users"]:
    User.objects.create_user(spec["username"], spec["email"], spec["password"],
                             first_name=spec.get("first_name", ""), last_name=spec.get("last_name", ""))
# the client's redirect URI may come later, in a file beside the config (the client starts meanwhile)
redirect_file = Path(CONFIG["folder"]) / "redirect_uri"
deadline = time.monotonic() + 120
while "redirect_uri" not in CONFIG and not redirect_file.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
redirect_uri = CONFIG.get("redirect_uri") or redirect_file.read_text().strip()
Application.objects.create(
    name="foxtrack", client_id=CONFIG["client_id"], client_secret=CONFIG["client_secret"],
    client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=redirect_uri, algorithm=Application.RS256_ALGORITHM, skip_authorization=False)
print("ready", flush=True)
run("127.0.0.1", int(CONFIG["port"]), get_wsgi_application(), threading=True)
