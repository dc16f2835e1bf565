"""The ``foxtrack`` command: serve, create-admin, demo, worker; the admin commands (``foxtrack.admin``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from foxtrack.config import Settings

app = typer.Typer(help="foxtrack: a production tracker that speaks the Kitsu API.", no_args_is_help=True)
console = Console()

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "mysecretpassword"


def _settings(data_dir: Path | None, database_url: str | None, **kw: object) -> Settings:
    values: dict[str, object] = {k: v for k, v in kw.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    if database_url is not None:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="FOXTRACK_HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="FOXTRACK_PORT", help="Port to listen on.")] = 8080,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file and uploads live.")] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: SQLite in the data dir).")] = None,
    demo: Annotated[bool, typer.Option(help="Seed a demo production once and print how to log in.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL + Redis for more than one).")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    ui: Annotated[Path | None, typer.Option(help="A built Kitsu UI (index.html + assets/) to serve on /.")] = None,
) -> None:
    """Create or migrate the schema, then serve the API (and Socket.IO) on HOST:PORT."""
    import uvicorn

    from foxtrack.app import build_state
    from foxtrack.db.engine import migrate
    from foxtrack.db.seed import ensure_admin_from_settings, ensure_reference_data

    settings = _settings(data_dir, database_url, host=host, port=port, ui_dir=ui)
    if workers > 1:
        _refuse_unsafe_workers(settings)
    if settings.ui_dir is not None:
        if not (settings.ui_dir / "index.html").is_file():
            console.print(f"[red]{settings.ui_dir} holds no index.html: --ui takes a built Kitsu (dist/).[/]")
            raise typer.Exit(2)
        os.environ["FOXTRACK_UI_DIR"] = str(settings.ui_dir.resolve())
    state = build_state(settings)
    migrate(state.engine)
    ensure_reference_data(state.engine)
    ensure_admin_from_settings(state.engine, settings)
    if demo:
        from foxtrack.demo import seed_demo

        email = settings.admin_email or DEMO_EMAIL
        password = settings.admin_password or DEMO_PASSWORD
        created = seed_demo(state.engine, email, password, settings.bcrypt_rounds)
        console.print(f"[bold green]Demo production {'created' if created else 'already there'}.[/]")
        console.print(f"Log in as [bold]{email}[/] / [bold]{password}[/] (demo credentials: change them).")
    state.engine.dispose()
    os.environ["FOXTRACK_DATA_DIR"] = str(settings.data_dir)
    if database_url:
        os.environ["FOXTRACK_DATABASE_URL"] = database_url
    os.environ["FOXTRACK_SECRET_KEY"] = settings.resolved_secret_key()
    run_dir = None
    if workers > 1:
        import tempfile

        from foxtrack.events.sticky import RUN_DIR_ENV

        # each worker's Unix socket, where the others relay the Socket.IO requests of its sessions
        run_dir = Path(tempfile.mkdtemp(prefix="foxtrack-workers-"))
        os.environ[RUN_DIR_ENV] = str(run_dir)
    console.print(f"foxtrack API on [bold]http://{host}:{port}/api[/] (gazu.set_host), data in {settings.data_dir}"
                  + (f", {workers} worker processes" if workers > 1 else ""))
    if settings.ui_dir is not None:
        console.print(f"Kitsu UI on [bold]http://{host}:{port}/[/] from {settings.ui_dir}")
    if run_dir is None:
        from foxtrack.workers import KEEP_ALIVE_SECONDS

        uvicorn.run("foxtrack.asgi:application", host=host, port=port, log_level=log_level, access_log=False,
                    lifespan="on", timeout_keep_alive=KEEP_ALIVE_SECONDS)
        return
    import logging
    import shutil

    from foxtrack.workers import Supervisor

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        code = Supervisor("foxtrack.asgi:application", host, port, workers, log_level).run()
    except OSError as exc:
        console.print(f"[red]Cannot listen on {host}:{port}: {exc.strerror}.[/]")
        code = 1
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    if code:
        raise typer.Exit(code)


def _refuse_unsafe_workers(settings: Settings) -> None:
    """Several workers share one PostgreSQL and one Redis; anything else is refused, with the reason."""
    if not settings.resolved_database_url().startswith("postgresql"):
        console.print("[red]--workers > 1 needs PostgreSQL (--database-url postgresql://...): SQLite takes one "
                      "writer at a time, so several processes would wait on its lock instead of serving. "
                      "Run one process on SQLite (its reads already use the thread pool).[/]")
        raise typer.Exit(2)
    if not settings.redis_url:
        console.print("[red]--workers > 1 needs FOXTRACK_REDIS_URL (redis://HOST:PORT/DB): the workers pass "
                      "real-time events, data versions and revocations through it.[/]")
        raise typer.Exit(2)


@app.command("create-admin")
def create_admin(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="The admin's password.")],
    data_dir: Annotated[Path | None, typer.Option()] = None,
    database_url: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an admin account (or reset its password and role if it exists)."""
    from foxtrack.app import build_state
    from foxtrack.db.engine import migrate
    from foxtrack.db.seed import create_admin as do_create
    from foxtrack.db.seed import ensure_reference_data

    settings = _settings(data_dir, database_url)
    state = build_state(settings)
    migrate(state.engine)
    ensure_reference_data(state.engine)
    _, created = do_create(state.engine, email, password, settings.bcrypt_rounds)
    console.print(f"Admin {email} {'created' if created else 'updated'}.")


@app.command()
def worker(
    data_dir: Annotated[Path | None, typer.Option(help="The server's data dir (files, unless on S3).")] = None,
    database_url: Annotated[str | None, typer.Option(help="The server's database.")] = None,
    slots: Annotated[int, typer.Option(help="Movies transcoded at once by this worker.")] = 1,
) -> None:
    """Run queued background work: movie transcodes, playlist builds, webhook deliveries (beside servers
    started with FOXTRACK_MEDIA_WORKERS=0)."""
    import asyncio
    import logging

    from foxtrack.app import build_state
    from foxtrack.db.engine import migrate
    from foxtrack.jobs.background import build_worker
    from foxtrack.webhooks.delivery import subscribe

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _settings(data_dir, database_url)
    state = build_state(settings)
    migrate(state.engine)
    console.print(f"foxtrack media worker: {slots} slot(s), data in {settings.data_dir}")
    try:
        subscribe(state)  # the events of this process's writes are delivered too
        asyncio.run(build_worker(state, slots, poll_seconds=1.0).run_forever())
    except KeyboardInterrupt:
        pass
    finally:
        state.engine.dispose()


@app.command("sync-with-ldap-server")
def sync_with_ldap_server(
    data_dir: Annotated[Path | None, typer.Option(help="foxtrack's data dir.")] = None,
    database_url: Annotated[str | None, typer.Option(help="foxtrack's database.")] = None,
) -> None:
    """Create, update and deactivate persons from the LDAP directory (FOXTRACK_LDAP_* settings)."""
    from rich.progress import Progress

    from foxtrack.app import build_state
    from foxtrack.auth import ldap_sync
    from foxtrack.db.engine import migrate
    from foxtrack.db.seed import ensure_reference_data

    settings = _settings(data_dir, database_url)
    state = build_state(settings)
    try:
        migrate(state.engine)
        ensure_reference_data(state.engine)
        try:
            users = ldap_sync.directory_users(settings)
        except Exception as exc:  # noqa: BLE001 - ldap3 raises many kinds; all mean "cannot read it"
            console.print(f"[red]Cannot read the directory at {settings.ldap_host}:{settings.ldap_port}: {exc}[/]")
            raise typer.Exit(1) from None
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task("Syncing persons", total=len(users))
            report = ldap_sync.sync(state, users, lambda _login: progress.advance(bar))
    finally:
        state.engine.dispose()
    console.print(f"{len(users)} directory users: [green]{len(report.created)} created[/], "
                  f"{len(report.updated)} updated, {report.unchanged} unchanged, "
                  f"[yellow]{len(report.deactivated)} deactivated[/], {len(report.skipped)} skipped")
    for line in report.skipped:
        console.print(f"  skipped {line}")


from foxtrack.admin.commands import register as _register_admin  # noqa: E402 - after the commands above

_register_admin(app)  # db, backups, accounts, clean-up, previews, storage, sync, imports


def main() -> None:
    app()


if __name__ == "__main__":
    main()
