"""The ``foxtrack`` command: serve, create-admin, demo, worker."""

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
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
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
    if workers > 1:
        # answers cached by one process would not see writes of another that leave no event row
        os.environ["FOXTRACK_RESPONSE_CACHE"] = "false"
        if not settings.redis_url:
            console.print("[yellow]--workers > 1 without FOXTRACK_REDIS_URL: Socket.IO listeners only get the "
                          "events of the worker they are connected to.[/]")
    console.print(f"foxtrack API on [bold]http://{host}:{port}/api[/] (gazu.set_host), data in {settings.data_dir}")
    if settings.ui_dir is not None:
        console.print(f"Kitsu UI on [bold]http://{host}:{port}/[/] from {settings.ui_dir}")
    uvicorn.run("foxtrack.asgi:application", host=host, port=port, workers=workers, log_level=log_level,
                access_log=False, lifespan="on")


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


@app.command("import-zou")
def import_zou(
    from_url: Annotated[str, typer.Option(help="Zou's database: postgresql://USER:PW@HOST:PORT/DB (only read).")],
    data_dir: Annotated[Path | None, typer.Option(help="foxtrack's data dir (SQLite file and files).")] = None,
    database_url: Annotated[str | None, typer.Option(help="foxtrack's database (default: SQLite in the data dir).")] = None,
    files_from: Annotated[Path | None, typer.Option(help="Zou's preview folder, copied into foxtrack's storage.")] = None,
    replace: Annotated[bool, typer.Option(help="Wipe a non-empty foxtrack database first.")] = False,
) -> None:
    """Copy a Zou database (and optionally its preview files) into an empty foxtrack database."""
    from rich.table import Table

    from foxtrack.app import build_state
    from foxtrack.db import zou_import
    from foxtrack.db.engine import migrate
    from foxtrack.storage import make_storage

    if files_from is not None and not files_from.is_dir():
        console.print(f"[red]--files-from {files_from} is not a folder.[/]")
        raise typer.Exit(2)
    settings = _settings(data_dir, database_url)
    state = build_state(settings)
    source = zou_import.source_engine(from_url)
    try:
        migrate(state.engine)
        report = zou_import.import_zou(source, state.engine, replace=replace)
        files = zou_import.copy_files(files_from, make_storage(state)) if files_from else {}
    except zou_import.TargetNotEmpty as exc:
        console.print(f"[red]{exc}: pass --replace to overwrite it.[/]")
        raise typer.Exit(1) from None
    finally:
        source.dispose()
        state.engine.dispose()
    rows = Table("table", "rows", "skipped Zou columns", "notes", title="Imported from Zou")
    for copy in report.tables:
        rows.add_row(copy.name, str(copy.rows), ", ".join(copy.skipped_columns), copy.notes)
    console.print(rows)
    console.print(f"[bold green]{report.total_rows} rows[/] copied into {settings.resolved_database_url()}")
    if report.skipped_tables:
        console.print(f"Zou tables skipped (foxtrack has none): {', '.join(report.skipped_tables)}")
    if report.absent_tables:
        console.print(f"foxtrack tables Zou has not got (left empty): {', '.join(report.absent_tables)}")
    for prefix, count in sorted(files.items()):
        console.print(f"{count} files copied into {prefix}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
