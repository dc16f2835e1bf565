"""Settings: one typed object, read from FOXTRACK_* environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a foxtrack process needs to know; nothing else is global."""

    model_config = SettingsConfigDict(env_prefix="FOXTRACK_", extra="ignore")

    data_dir: Path = Path("foxtrack-data")
    database_url: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    # cost of new password hashes (OWASP's floor for bcrypt is 10); existing hashes of any cost,
    # Zou's 12 included, verify as they are
    bcrypt_rounds: int = 10
    access_token_days: int = 7
    refresh_token_days: int = 15
    admin_email: str | None = None
    admin_password: str | None = None
    redis_url: str | None = None
    # names of foxtrack's Redis channels and keys (several foxtracks can share one Redis)
    redis_prefix: str = "foxtrack"
    records_per_page: int = 100
    # request limits, enforced while the body streams in (413): multipart uploads, any other body
    max_upload_bytes: int = 10 * 1024**3
    max_json_bytes: int = 10 * 1024**2
    # a comment's text, in characters (Zou's column is an unbounded TEXT)
    max_comment_chars: int = 100_000
    # pictures: width x height read from the header before decoding (400 above it), and how many
    # pictures are decoded at once
    max_image_pixels: int = 100_000_000
    image_workers: int = 2
    # failed logins: an account locks for the address that failed (max_failures in lock_seconds);
    # an address locks for every account after max_failures_per_address
    login_max_failures: int = 5
    login_lock_seconds: int = 60
    login_max_failures_per_address: int = 50
    # sessions behind TLS: cookies are Secure when the request came over HTTPS or when one of these
    # proxy addresses (comma-separated, or *) said so with X-Forwarded-Proto; cookie-authenticated
    # writes from another origin than the API's own or one of allowed_origins (comma-separated) are refused
    trusted_proxies: str = "127.0.0.1,::1"
    allowed_origins: str = ""
    # two-factor authentication: ENFORCE_2FA makes everyone but the exempt emails (comma-separated)
    # set up a second factor before using the API; WebAuthn's relying party (default: the request's host)
    enforce_2fa: bool = False
    enforce_2fa_exempt: str = ""
    fido_rp_id: str = ""
    fido_rp_name: str = "Kitsu"
    fido_origin: str = ""
    email_otp_minutes: float = 15
    # where mailed links point (reset password, invitations): Zou's DOMAIN_PROTOCOL://DOMAIN_NAME
    domain_name: str = "localhost:8080"
    domain_protocol: str = "http"
    reset_token_minutes: float = 120
    # outgoing mail; nothing is sent while smtp_host is empty. smtp_tls: "starttls", "ssl" or "none"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "kitsu@localhost"
    smtp_timeout_seconds: float = 10.0
    smtp_ca_file: str = ""
    webhook_retry_seconds: float = 5.0
    # PostgreSQL with autovacuum off: every this many seconds, ANALYZE the tables that changed past
    # autovacuum's threshold (foxtrack.db.statistics); 0 never does
    pg_analyze_seconds: float = 60.0
    # a SQL statement sent from the event loop's thread (foxtrack.db.loop_guard): "warn" logs its
    # first of each shape, "raise" refuses it (the test suite), "off"
    loop_guard: str = "warn"
    # serve unchanged GET answers again while the data version is the same (SQLite only)
    response_cache: bool = True
    # a built Kitsu UI (index.html + assets/) served on the API's origin; None: the API only
    ui_dir: Path | None = None
    # previews: background transcoding and S3-compatible storage (local files when s3_bucket is unset)
    media_workers: int = 1
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_url_seconds: int = 3600
    # observability (README "Running in production"): Prometheus /metrics, for the addresses in
    # metrics_allow (comma-separated addresses or networks) or a caller with "Authorization: Bearer
    # <metrics_token>"; logs as JSON lines with the request id (log_format "json"), one line per
    # request with access_log; request ids read from and answered in request_id_header; OpenTelemetry
    # spans per request with tracing (when the opentelemetry packages are installed)
    metrics_enabled: bool = True
    metrics_token: str | None = None
    metrics_allow: str = "127.0.0.1,::1"
    log_format: str = "text"
    log_level: str = "WARNING"
    access_log: bool = False
    request_id_header: str = "X-Request-Id"
    tracing: bool = False
    # LDAP and single sign-on (Zou's LDAP_*, OIDC_* settings with the FOXTRACK_ prefix; README
    # "LDAP and single sign-on"). auth_strategy "auth_remote_ldap" checks passwords by a bind.
    auth_strategy: str = "auth_local_classic"
    ldap_host: str = "127.0.0.1"
    ldap_port: int = 389
    ldap_base_dn: str = "cn=Users,dc=studio,dc=local"
    ldap_domain: str = "studio.local"
    ldap_group: str = ""
    ldap_fallback: bool = False
    ldap_is_ad: bool = False
    ldap_is_ad_simple: bool = False
    ldap_ssl: bool = False
    # search-then-bind (Active Directory's sAMAccountName / userPrincipalName logins): when set, the
    # login finds the entry whose listed attribute is the person's login (as LDAP_USER) and binds as
    # its DN; every bind is then a simple bind (no NTLM)
    ldap_login_attributes: str = ""
    ldap_timeout_seconds: float = 5.0
    # the sync command's own account, the address given to entries without ``mail``, and the
    # ``;``- or ``,``-separated logins it leaves alone
    ldap_user: str = ""
    ldap_password: str = ""
    email_domain: str = "studio.local"
    ldap_excluded_accounts: str = ""
    oidc_enabled: bool = False
    oidc_idp_name: str = "OpenID Connect"
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_email_claim: str = "email"
    oidc_given_name_claim: str = "given_name"
    oidc_family_name_claim: str = "family_name"
    oidc_require_email_verified: bool = True
    oidc_skip_2fa: bool = False
    # where the provider sends the browser back (default: this request's .../auth/oidc/callback)
    # and where a logged-in browser goes next (the Kitsu UI)
    oidc_redirect_uri: str = ""
    sso_redirect_url: str = "/"
    # SAML: the IdP's metadata URL; foxtrack's SP metadata is served at .../auth/saml/metadata (its
    # entity id unless saml_entity_id is set); signatures are checked with the xmlsec1 program
    saml_enabled: bool = False
    saml_idp_name: str = "SAML"
    saml_metadata_url: str = ""
    saml_entity_id: str = ""
    saml_skip_2fa: bool = False
    # answers the IdP sends without a request of this server (IdP-initiated login): refused unless on
    saml_allow_idp_initiated: bool = False
    saml_xmlsec_binary: str = ""

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'foxtrack.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The signing key: configured, else one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
