"""The admin commands of ``foxtrack`` (typer): each parses its options, builds the state and calls the
logic in ``foxtrack.admin.*``. Long commands show rich progress bars on stderr; ``--json`` prints the
result as one JSON document on stdout, for scripts. A refused command prints why and exits 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from foxtrack.admin._progress import RichProgress
from foxtrack.admin.errors import AdminError
from foxtrack.config import Settings
from foxtrack.core.context import AppState

console = Console()
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

DataDir = Annotated[Path | None, typer.Option(help="The data dir (SQLite file, files, secret key).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: SQLite in the data dir).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripts).")]
NoProgress = Annotated[bool, typer.Option("--no-progress", help="No progress bars.")]

db_app = typer.Typer(help="The database schema: upgrade, downgrade, status (Alembic revisions).",
                     no_args_is_help=True)


def settings_of(data_dir: Path | None, database_url: str | None, **values: Any) -> Settings:
    given: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    if data_dir is not None:
        given["data_dir"] = data_dir
    if database_url is not None:
        given["database_url"] = database_url
    return Settings(**given)


@contextmanager
def opened(settings: Settings, migrate: bool = True) -> Iterator[AppState]:
    """The state of a command: the engine (the schema brought up to date unless ``migrate`` is off)."""
    from foxtrack.app import build_state
    from foxtrack.db.engine import migrate as do_migrate

    state = build_state(settings)
    try:
        if migrate:
            do_migrate(state.engine)
        yield state
    finally:
        cluster = state.extras.get("cluster")
        if cluster is not None and hasattr(cluster, "stop"):
            cluster.stop()
        state.engine.dispose()


def report(as_json: bool, result: Any, text: str | Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
    elif callable(text):
        text()
    else:
        console.print(text)


def run(work: Callable[[], T]) -> T:
    """Run ``work``; an ``AdminError`` ends the command with its message and exit code 1."""
    try:
        return work()
    except AdminError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


@contextmanager
def bars(as_json: bool, quiet: bool) -> Iterator[RichProgress]:
    progress = RichProgress(enabled=not quiet and err.is_terminal)
    with progress.shown():
        yield progress


# ----------------------------------------------------------------------------- db

def _status_text(data: dict[str, Any]) -> str:
    pending = ", ".join(data["pending"]) or "none"
    state = "[green]up to date[/]" if data["up_to_date"] else f"[yellow]{len(data['pending'])} pending[/]"
    return f"revision {data['current']} (head {data['head']}): {state}; pending: {pending}"


@db_app.command("status")
def db_status(data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """The database's schema revision, the newest one and the revisions still to apply."""
    from foxtrack.admin import database

    with opened(settings_of(data_dir, database_url), migrate=False) as state:
        data = database.status(state.engine).as_dict()
    report(as_json, data, _status_text(data))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
               data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Apply the schema revisions up to REVISION (the newest by default); ``serve`` does it at start too."""
    from foxtrack.admin import database

    with opened(settings_of(data_dir, database_url), migrate=False) as state:
        data = run(lambda: database.upgrade(state.engine, revision).as_dict())
    report(as_json, data, _status_text(data))


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Option(help="Target revision (-1: the previous one).")] = "-1",
                 data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Undo schema revisions down to REVISION (tables a revision added are dropped with their rows)."""
    from foxtrack.admin import database

    with opened(settings_of(data_dir, database_url), migrate=False) as state:
        data = run(lambda: database.downgrade(state.engine, revision).as_dict())
    report(as_json, data, _status_text(data))


# ----------------------------------------------------------------------------- persons

def create_bot(name: str,
               role: Annotated[str, typer.Option(help="user, supervisor, manager, admin, client or vendor.")] = "user",
               expiration_date: Annotated[str | None, typer.Option(help="Last valid day (YYYY-MM-DD).")] = None,
               data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Create a bot account and print its API token (shown once)."""
    from foxtrack.admin import persons

    with opened(settings_of(data_dir, database_url)) as state:
        data = run(lambda: persons.create_bot(state, name, role, expiration_date))
    report(as_json, data, f"Bot {data['name']} ({data['role']}) created: {data['id']}\n"
                          f"Token (keep it secret, it is not shown again):\n{data['access_token']}")


def change_password(email: Annotated[str, typer.Argument(help="The person's email or desktop login.")],
                    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                                          help="The new password (asked when not given).")],
                    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Set a person's password (and lift a lock left by failed logins); their sessions end."""
    from foxtrack.admin import persons

    with opened(settings_of(data_dir, database_url)) as state:
        data = run(lambda: persons.change_password(state, email, password))
    report(as_json, data, f"Password of {data['email']} changed.")


def set_person_active(email: Annotated[str, typer.Argument(help="The person's email or desktop login.")],
                      inactive: Annotated[bool, typer.Option("--inactive", help="Deactivate instead.")] = False,
                      data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Activate a person (or deactivate with --inactive)."""
    from foxtrack.admin import persons

    with opened(settings_of(data_dir, database_url)) as state:
        data = run(lambda: persons.set_active(state, email, not inactive))
    report(as_json, data, f"{data['email']} is now {'active' if data['active'] else 'inactive'}.")


def disable_2fa(email: Annotated[str, typer.Argument(help="The person's email or desktop login.")],
                data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Turn off a person's two-factor authentication (TOTP, email codes, FIDO keys, recovery codes)."""
    from foxtrack.admin import persons

    with opened(settings_of(data_dir, database_url)) as state:
        data = run(lambda: persons.disable_2fa(state, email))
    report(as_json, data, f"Two-factor authentication of {data['email']} disabled ({', '.join(data['cleared'])}).")


# ----------------------------------------------------------------------------- clean-up

def _counts_text(title: str, counts: dict[str, int]) -> str:
    return f"{title}: " + ", ".join(f"{count} {name}" for name, count in counts.items())


def clean_auth_tokens(data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                      quiet: NoProgress = False) -> None:
    """Remove the revoked tokens that have expired (they can no longer be used anyway)."""
    from foxtrack.admin import cleanup

    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        data = cleanup.clean_auth_tokens(state, progress)
    report(as_json, data, _counts_text("Removed", data))


def remove_old_data(days: Annotated[int, typer.Option(help="Keep the last DAYS days.")] = 90,
                    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                    quiet: NoProgress = False) -> None:
    """Remove events, notifications, login logs and finished jobs older than DAYS days."""
    from foxtrack.admin import cleanup

    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        data = run(lambda: cleanup.remove_old_data(state, days, progress))
    report(as_json, data, _counts_text(f"Removed (older than {days} days)", data))


def reset_search_index(data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Refresh what search reads (foxtrack's search has no separate index: the tables' statistics are
    refreshed) and count the searchable persons, assets and shots."""
    from foxtrack.admin import cleanup

    with opened(settings_of(data_dir, database_url)) as state:
        data = cleanup.reset_search_index(state)
    report(as_json, data, _counts_text("Searchable", data))


# ----------------------------------------------------------------------------- previews

PreviewId = Annotated[str | None, typer.Option(help="Only this preview file.")]
ProjectId = Annotated[str | None, typer.Option(help="Only the previews of this project.")]
Days = Annotated[int | None, typer.Option(help="Only the previews created in the last DAYS days.")]


def probe_preview_files(preview_file_id: PreviewId = None, project_id: ProjectId = None, days: Days = None,
                        data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                        quiet: NoProgress = False) -> None:
    """Compare the database with the storage: the previews whose files are missing, and which files.
    Exits 3 when files are missing."""
    from foxtrack.admin import previews

    selection = previews.Selection(preview_file_id, project_id, days)
    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        data = run(lambda: previews.probe_preview_files(state, selection, progress))

    def text() -> None:
        console.print(f"{data['previews']} previews, {data['files_checked']} files checked: "
                      f"{data['missing_files']} missing")
        for item in data["previews_with_missing_files"]:
            console.print(f"  {item['preview_file_id']} ({item['extension']}, {item['status']}): "
                          f"{', '.join(item['missing'])}")

    report(as_json, data, text)
    if data["missing_files"]:
        raise typer.Exit(3)


def generate_preview_extra(preview_file_id: PreviewId = None, project_id: ProjectId = None, days: Days = None,
                           force: Annotated[bool, typer.Option(help="Rebuild even what is there.")] = False,
                           data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                           quiet: NoProgress = False) -> None:
    """Rebuild the derived files of ready previews (thumbnails, preview pictures, a movie's first frame and
    tiles) and a movie's missing dimensions and duration, from the stored originals."""
    from foxtrack.admin import previews

    selection = previews.Selection(preview_file_id, project_id, days)
    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        data = run(lambda: previews.generate_preview_extra(state, selection, force, progress))
    report(as_json, data, f"{data['previews']} previews: {data['files_rebuilt']} files rebuilt, "
                          f"{data['metadata_updated']} with their dimensions updated")


def renormalize_previews(preview_file_id: PreviewId = None, project_id: ProjectId = None, days: Days = None,
                         all_broken: Annotated[bool, typer.Option(help="Only broken movies.")] = False,
                         all_processing: Annotated[bool, typer.Option(help="Only movies stuck processing.")] = False,
                         run_here: Annotated[bool, typer.Option("--run", help="Transcode here and wait, instead of "
                                                                "queueing for the servers' workers.")] = False,
                         slots: Annotated[int, typer.Option(help="Movies transcoded at once with --run.")] = 1,
                         data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                         quiet: NoProgress = False) -> None:
    """Transcode movie previews again from their stored source (all movies unless filtered)."""
    from foxtrack.admin import previews

    status = tuple(name for name, on in (("broken", all_broken), ("processing", all_processing)) if on)
    selection = previews.Selection(preview_file_id, project_id, days, status)
    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        data = run(lambda: previews.renormalize_previews(state, selection, run_here, slots, progress=progress))
    text = f"{data['movies']} movies: {len(data['queued'])} queued, {len(data['without_source'])} without a source"
    if "results" in data:
        ready = sum(1 for v in data["results"].values() if v == "ready")
        text += f"; {ready} ready, {len(data['results']) - ready} not"
    report(as_json, data, text)


# ----------------------------------------------------------------------------- storage

Bucket = Annotated[str | None, typer.Option(help="S3 bucket (default FOXTRACK_S3_BUCKET).")]
Endpoint = Annotated[str | None, typer.Option(help="S3 endpoint URL (default FOXTRACK_S3_ENDPOINT_URL).")]


def upload_files_to_cloud_storage(
        days: Annotated[int | None, typer.Option(help="Only files changed in the last DAYS days.")] = None,
        bucket: Bucket = None, endpoint_url: Endpoint = None, data_dir: DataDir = None, as_json: AsJson = False,
        quiet: NoProgress = False) -> None:
    """Copy the local files (<data dir>/files) into the S3 bucket; files already there are skipped, so an
    interrupted copy resumes. Set FOXTRACK_S3_BUCKET afterwards to serve from the bucket."""
    from foxtrack.admin import storage

    settings = settings_of(data_dir, None, s3_bucket=bucket, s3_endpoint_url=endpoint_url)
    with bars(as_json, quiet) as progress:
        data = run(lambda: storage.upload_to_cloud(settings, days, progress))
    report(as_json, data, f"{data['files']} files: {data['copied']} uploaded ({data['bytes']} bytes), "
                          f"{data['already_there']} already in {data['bucket']}")


def download_files_from_cloud_storage(bucket: Bucket = None, endpoint_url: Endpoint = None, data_dir: DataDir = None,
                                      as_json: AsJson = False, quiet: NoProgress = False) -> None:
    """Copy the S3 bucket's files into the local storage (<data dir>/files), to leave S3."""
    from foxtrack.admin import storage

    settings = settings_of(data_dir, None, s3_bucket=bucket, s3_endpoint_url=endpoint_url)
    with bars(as_json, quiet) as progress:
        data = run(lambda: storage.download_from_cloud(settings, progress))
    report(as_json, data, f"{data['files']} files: {data['copied']} downloaded ({data['bytes']} bytes), "
                          f"{data['already_there']} already here")


# ----------------------------------------------------------------------------- sync

SourceUrl = Annotated[str, typer.Option("--source", help="The other instance's API (http://host/api).")]
SourceEmail = Annotated[str, typer.Option(help="A login on the source (an admin's, to read everything).")]
SourcePassword = Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="FOXTRACK_SYNC_SOURCE_PASSWORD",
                                             help="Its password (asked, or FOXTRACK_SYNC_SOURCE_PASSWORD).")]


def sync_full(source: SourceUrl, source_email: SourceEmail, source_password: SourcePassword,
              project: Annotated[str | None, typer.Option(help="Only this project (name or id).")] = None,
              data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
              quiet: NoProgress = False) -> None:
    """Copy another Kitsu's reference data and projects (entities, tasks, comments, previews' records...)
    into this database, by id."""
    from foxtrack.admin import sync

    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        def work() -> dict[str, Any]:
            remote = sync.Source(source, source_email, source_password)
            try:
                return sync.sync_full(state, remote, project, progress)
            finally:
                remote.close()

        data = run(work)
    report(as_json, data, f"{data['total_written']} rows written from {data['source']} "
                          f"({', '.join(str(p) for p in data['projects'])}); skipped: {data['skipped'] or 'none'}")


def sync_changes(source: SourceUrl, source_email: SourceEmail, source_password: SourcePassword,
                 since: Annotated[str | None, typer.Option(help="Start after this time (ISO); default: where "
                                                           "the last run stopped, else now.")] = None,
                 follow: Annotated[bool, typer.Option(help="Keep polling until Ctrl-C.")] = False,
                 interval: Annotated[float, typer.Option(help="Seconds between polls with --follow.")] = 10.0,
                 data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                 quiet: NoProgress = False) -> None:
    """Apply the changes another Kitsu recorded since the last run (its event log), once or with --follow."""
    from foxtrack.admin import sync

    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        def work() -> dict[str, Any]:
            remote = sync.Source(source, source_email, source_password)
            try:
                return sync.sync_changes(state, remote, since, once=not follow, interval=interval,
                                         progress=progress)
            except KeyboardInterrupt:
                return {"source": source, "stopped": True}
            finally:
                remote.close()

        data = run(work)
    report(as_json, data, f"{data.get('events', 0)} changes read from {source}: "
                          f"{data.get('total_written', 0)} rows written, removed {data.get('removed') or 'none'}")


# ----------------------------------------------------------------------------- imports

def import_zou(
    from_url: Annotated[str, typer.Option(help="Zou's database: postgresql://USER:PW@HOST:PORT/DB (only read).")],
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
    files_from: Annotated[Path | None, typer.Option(help="Zou's preview folder, copied into foxtrack's storage.")] = None,
    replace: Annotated[bool, typer.Option(help="Wipe a non-empty foxtrack database first.")] = False,
    resume: Annotated[bool, typer.Option(help="Table by table, going on after an interrupted --resume run.")] = False,
    as_json: AsJson = False, quiet: NoProgress = False,
) -> None:
    """Copy a Zou database (and optionally its preview files) into an empty foxtrack database."""
    import sqlalchemy as sa
    from rich.table import Table

    from foxtrack.admin import imports
    from foxtrack.db import zou_import
    from foxtrack.storage import make_storage

    if files_from is not None and not files_from.is_dir():
        err.print(f"[red]--files-from {files_from} is not a folder.[/]")
        raise typer.Exit(2)
    if not from_url.startswith(("postgresql://", "postgresql+psycopg://")):  # Zou runs on PostgreSQL only
        err.print("[red]--from-url must be Zou's PostgreSQL database: postgresql://USER:PW@HOST:PORT/DB[/]")
        raise typer.Exit(2)
    settings = settings_of(data_dir, database_url)
    source = zou_import.source_engine(from_url)
    try:
        with source.connect():
            pass
    except sa.exc.SQLAlchemyError as exc:  # the URL is shown without its password
        shown = source.url.render_as_string(hide_password=True)
        source.dispose()
        err.print(f"[red]Cannot read Zou's database at {shown}: {getattr(exc, 'orig', None) or exc}[/]")
        raise typer.Exit(1) from None
    try:
        with opened(settings) as state, bars(as_json, quiet) as progress:
            result = imports.import_zou(state, source, from_url, replace, resume, progress)
            files = zou_import.copy_files(files_from, make_storage(state)) if files_from else {}
    except zou_import.TargetNotEmpty as exc:
        console.print(f"[red]{exc}: pass --replace to overwrite it (or --resume to go on with an interrupted "
                  "--resume run).[/]")
        raise typer.Exit(1) from None
    finally:
        source.dispose()
    data = {"total_rows": result.total_rows, "database": settings.resolved_database_url(),
            "tables": {t.name: t.rows for t in result.tables}, "skipped_tables": result.skipped_tables,
            "absent_tables": result.absent_tables, "files": files}

    def text() -> None:
        rows = Table("table", "rows", "skipped Zou columns", "notes", title="Imported from Zou")
        for copy in result.tables:
            rows.add_row(copy.name, str(copy.rows), ", ".join(copy.skipped_columns), copy.notes)
        console.print(rows)
        console.print(f"[bold green]{result.total_rows} rows[/] copied into {settings.resolved_database_url()}")
        if result.skipped_tables:
            console.print(f"Zou tables skipped (foxtrack has none): {', '.join(result.skipped_tables)}")
        if result.absent_tables:
            console.print(f"foxtrack tables Zou has not got (left empty): {', '.join(result.absent_tables)}")
        for prefix, count in sorted(files.items()):
            console.print(f"{count} files copied into {prefix}")

    report(as_json, data, text)


def import_shotgun(folder: Annotated[Path, typer.Argument(help="A folder of ShotGrid exports: <kind>.json lists.")],
                   resume: Annotated[bool, typer.Option(help="Go on after an interrupted run.")] = False,
                   data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
                   quiet: NoProgress = False) -> None:
    """Import a ShotGrid export (persons.json, projects.json, steps.json, status.json, assets.json,
    episodes.json, sequences.json, scenes.json, shots.json, project-connections.json, tasks.json,
    versions.json, notes.json) as /import/shotgun does, batch by batch."""
    from foxtrack.admin import imports

    with opened(settings_of(data_dir, database_url)) as state, bars(as_json, quiet) as progress:
        data = run(lambda: imports.import_shotgun(state, folder, resume, progress))
    report(as_json, data, f"{data['total_written']} rows written from {folder}: "
                          + ", ".join(f"{n} {k}" for k, n in data["written"].items()))


# ----------------------------------------------------------------------------- backups

def backup(target: Annotated[Path, typer.Argument(help="The archive to write (.tar.gz).")],
           files: Annotated[bool, typer.Option("--files/--no-files", help="Include the stored files.")] = False,
           data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
           quiet: NoProgress = False) -> None:
    """Back the database (and with --files the stored files) up into one archive, while the server runs
    (SQLite: the online backup API; PostgreSQL: pg_dump, which must be installed)."""
    from foxtrack.admin import backup as backups

    settings = settings_of(data_dir, database_url)
    with opened(settings, migrate=False) as state, bars(as_json, quiet) as progress:
        data = run(lambda: backups.backup(state.engine, settings, target, files, progress))
    report(as_json, data, f"Backup of {sum(data['counts'].values())} rows and {data['files']} files in "
                          f"{data['archive']} ({data['archive_bytes']} bytes)")


def restore(archive: Annotated[Path, typer.Argument(help="An archive written by `foxtrack backup`.")],
            force: Annotated[bool, typer.Option(help="Replace a database that holds data.")] = False,
            data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: AsJson = False,
            quiet: NoProgress = False) -> None:
    """Replace the database (and files, when the archive has them) with a backup's. Stop servers first."""
    from foxtrack.admin import backup as backups

    settings = settings_of(data_dir, database_url)
    with opened(settings, migrate=False) as state, bars(as_json, quiet) as progress:
        data = run(lambda: backups.restore(state.engine, settings, archive, force, progress))
    report(as_json, data, f"Restored {sum(data['counts'].values())} rows and {data['files']} files from "
                          f"{data['archive']} (taken {data['created_at']})")


COMMANDS: dict[str, Callable[..., None]] = {
    "create-bot": create_bot, "change-password": change_password, "set-person-active": set_person_active,
    "disable-2fa": disable_2fa, "clean-auth-tokens": clean_auth_tokens, "remove-old-data": remove_old_data,
    "reset-search-index": reset_search_index, "probe-preview-files": probe_preview_files,
    "generate-preview-extra": generate_preview_extra, "renormalize-previews": renormalize_previews,
    "upload-files-to-cloud-storage": upload_files_to_cloud_storage,
    "download-files-from-cloud-storage": download_files_from_cloud_storage,
    "sync-full": sync_full, "sync-changes": sync_changes, "import-zou": import_zou, "import-shotgun": import_shotgun,
    "backup": backup, "restore": restore,
}


def register(app: typer.Typer) -> None:
    """Add the admin commands to the ``foxtrack`` command."""
    app.add_typer(db_app, name="db")
    for name, command in COMMANDS.items():
        app.command(name)(command)
