"""Flask CLI commands: demo data and the search index.

flask --app webapp seed-demo        reference data + demo catalog + index (idempotent)
flask --app webapp index rebuild    re-encode the whole catalog
flask --app webapp index status     what the index holds and how it compares to the DB
flask --app webapp users create-admin EMAIL   an administrator (asks for the password)
flask --app webapp catalog import FILE [--mapping M.json] [--dry-run]   firms from CSV/XLSX
flask --app webapp events solve INSTANCE.json --out SCHEDULE.json [--time-limit S]
flask --app webapp backup [--out ARCHIVE]   database and uploaded files, one archive
flask --app webapp restore ARCHIVE [--yes]  replace both with an archive's
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from catalog.accounts import create_user, disable_two_factor, end_sessions, find_user
from catalog.accounts.demo import DEMO_PASSWORD, load_demo_accounts
from catalog.deals.demo import load_demo_deals
from catalog.demo import load_demo_catalog
from catalog.events.demo import load_demo_events
from catalog.imports import ImportRefused, import_table, read_table
from catalog.models import UserRole
from catalog.programmes.demo import load_demo_programmes
from catalog.reference_data import load_reference_data
from catalog.validation import ValidationError
from jobs.runtime import data_folder, runtime
from jobs.sync import index_sync_paused
from jobs.tasks import queue_rebuild
from matching import indexing
from matching.changes import ChainBroken
from matching.store import IndexUnavailable

from .extensions import db
from .helpers import uploads_dir

index_cli = AppGroup("index", help="Build and inspect the search index.")
users_cli = AppGroup("users", help="Manage accounts.")
catalog_cli = AppGroup("catalog", help="Import and export the catalog.")
events_cli = AppGroup("events", help="Matchmaking events.")


@events_cli.command("solve")
@click.argument("instance", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--time-limit", default=60.0, show_default=True, type=click.FloatRange(1, 3600))
def solve_schedule(instance: Path, out: Path, time_limit: float) -> None:
    """Schedule the meetings of an event given as JSON (no database involved).

    Writes {"status", "objective", "upper_bound", "assignments"}; exits 2 with the
    reason when the instance is invalid (unknown participant, pinned conflict, …)."""
    from matching.events.scheduling import InstanceError, parse_instance, solve

    try:
        data = json.loads(instance.read_text(encoding="utf-8"))
        problem = parse_instance(data)
    except (ValueError, InstanceError) as exc:  # JSONDecodeError is a ValueError
        raise click.ClickException(f"invalid instance {instance}: {exc}") from None
    schedule = solve(problem, time_limit=time_limit)
    out.write_text(json.dumps(schedule.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    report = schedule.report()
    click.echo(
        f"{report['status']}: {len(schedule.assignments)} meetings placed, objective "
        f"{report['objective']:.4f}, bound {report['upper_bound']:.4f} "
        f"(gap {report['gap_percent']:.3f} %) → {out}"
    )


@catalog_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON object {"column header": "field"}; by default headers are recognised by name.',
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
def import_firms(file: Path, mapping: Path | None, dry_run: bool) -> None:
    """Import firms from a CSV or XLSX survey file and print a JSON summary.

    Exits 0 when the file was processed (even with rejected rows), 2 when the file
    itself is refused."""
    try:
        table = read_table(file.read_bytes(), file.name)
        columns = json.loads(mapping.read_text(encoding="utf-8")) if mapping else None
        if columns is not None and not isinstance(columns, dict):
            raise ImportRefused("The mapping must be a JSON object.")
        result = import_table(db.session, table, columns, dry_run=dry_run)
    except (ImportRefused, json.JSONDecodeError) as exc:
        db.session.rollback()
        click.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        raise SystemExit(2) from None
    click.echo(json.dumps(result.summary(), ensure_ascii=False, indent=2))


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.password_option(help="At least 10 characters.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first one cannot be made from the web)."""
    try:
        user = create_user(db.session, email, password, name, role=UserRole.ADMIN)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
    click.echo(f"administrator {user.email} created")


@users_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Turn off the second factor of someone who lost both their app and their recovery
    codes (after checking who they are, outside KetNoi): their sessions end, they sign
    in with their password and set it up again, and they are told by mail."""
    from flask_babel import gettext as _

    from .accounts import tell_owner

    user = find_user(db.session, email)
    if user is None or user.totp_enabled_at is None:
        raise click.ClickException(f"no account with two-factor sign-in for {email}")
    disable_two_factor(db.session, user)
    end_sessions(db.session, user)
    tell_owner(
        user,
        lambda: _("Two-factor sign-in was turned off"),
        lambda: _(
            "An administrator turned off two-factor sign-in for %(email)s, as you asked. "
            "Sign in with your password and set it up again.",
            email=user.email,
        ),
    )
    click.echo(f"two-factor sign-in turned off for {user.email}; their sessions ended")


@click.command("seed-demo")
@click.option("--no-index", is_flag=True, help="Do not build the search index.")
def seed_demo(no_index: bool) -> None:
    """Load reference data and the demo catalog; build the index if it is not current."""
    session = db.session
    with index_sync_paused(session):
        ref = load_reference_data(session)
        demo = load_demo_catalog(session)
    click.echo(f"reference data: {ref}")
    click.echo(f"demo catalog: {demo}")
    accounts = load_demo_accounts(session)
    click.echo(f"demo accounts (password {DEMO_PASSWORD!r}): {', '.join(accounts)}")
    click.echo(f"demo events: {load_demo_events(session)}")
    click.echo(f"demo deals: {load_demo_deals(session)}")
    click.echo(f"demo programmes: {load_demo_programmes(session)}")
    if no_index:
        return
    rt = runtime()
    try:
        bundle = indexing.load_current(session, rt.store, rt.encoder.model_name)
        drift = indexing.consistency(session, bundle)
    except (IndexUnavailable, ChainBroken) as exc:
        click.echo(f"index: {exc}")
        drift = None
    if drift is not None and not any(drift.values()):
        click.echo(f"index: up to date ({len(bundle)} documents)")
        return
    started = time.perf_counter()
    change = indexing.rebuild(session, rt.store, rt.encoder, progress=True)
    elapsed = time.perf_counter() - started
    click.echo(
        f"index: built {change.documents} documents in {elapsed:.1f} s "
        f"({change.documents / max(elapsed, 1e-9):.0f} documents/s) with {rt.encoder.model_name}"
    )


@index_cli.command("rebuild")
def index_rebuild() -> None:
    """Re-encode every capability and publish a new index version."""
    rt = runtime()
    started = time.perf_counter()
    change = indexing.rebuild(db.session, rt.store, rt.encoder, progress=True)
    elapsed = time.perf_counter() - started
    click.echo(
        json.dumps(
            {
                **change.__dict__,
                "seconds": round(elapsed, 2),
                "documents_per_second": round(change.documents / max(elapsed, 1e-9), 1),
            }
        )
    )


@index_cli.command("merge")
def index_merge() -> None:
    """Fold the change log into a new base now (the worker does it once the log holds
    INDEX_MERGE_AT documents)."""
    rt = runtime()
    started = time.perf_counter()
    change = indexing.merge(db.session, rt.store, rt.encoder)
    result = {"action": "none"} if change is None else {"action": "merged", **change.__dict__}
    click.echo(json.dumps({**result, "seconds": round(time.perf_counter() - started, 2)}))


@index_cli.command("status")
def index_status() -> None:
    """Print the index metadata and its drift from the database as JSON."""
    rt = runtime()
    try:
        bundle = indexing.load_current(db.session, rt.store, rt.encoder.model_name)
    except (IndexUnavailable, ChainBroken) as exc:
        click.echo(json.dumps({"status": "unavailable", "detail": str(exc)}))
        raise SystemExit(1) from None
    drift = indexing.consistency(db.session, bundle)
    click.echo(json.dumps({"status": "ok", **bundle.meta(), "drift": drift}))


taxonomy_cli = AppGroup("taxonomy", help="Extend the bilingual domain vocabulary.")


@taxonomy_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-reindex", is_flag=True, help="Do not queue the re-index afterwards.")
def taxonomy_import(file: str, no_reindex: bool) -> None:
    """Add or update concepts from a JSON file (a list in the taxonomy's format).

    Terms tag capabilities and needs and bridge the two languages once the index is
    rebuilt, which is queued for the worker unless --no-reindex is given.
    """
    from sqlalchemy import select

    from catalog.models import Concept
    from catalog.reference_data import upsert_concepts, validate_concepts

    try:
        records = json.loads(Path(file).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from None
    if not isinstance(records, list):
        raise click.ClickException("The file must hold a JSON list of concepts.")
    known = set(db.session.scalars(select(Concept.id)))
    errors = validate_concepts(records, known)
    if errors:
        for where, message in errors.items():
            click.echo(f"{where}: {message}", err=True)
        raise click.ClickException(f"{len(errors)} concept(s) refused; nothing was imported.")
    counts = upsert_concepts(db.session, records)
    db.session.commit()
    click.echo(json.dumps(counts))
    if not no_reindex:
        queue_rebuild()
        click.echo("re-index queued: the new terms apply when the worker has rebuilt the index")


@click.command("backup")
@with_appcontext
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def backup_command(out: Path | None) -> None:
    """Write the database and the uploaded files to one archive (a consistent snapshot:
    read in one transaction)."""
    from catalog.backup import backup

    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out = data_folder().backups / f"ketnoi-{stamp}.tar.gz"
    with db.engine.connect() as conn, conn.begin():
        manifest = backup(conn, uploads_dir(), out)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"{out}: {rows} rows in {len(manifest['tables'])} tables, {manifest['files']} files")


@click.command("restore")
@with_appcontext
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database's rows and the uploaded files with an archive's; the search
    index is rebuilt by the worker (it finds the index out of step)."""
    from catalog.backup import BackupError, read_manifest, restore

    try:
        manifest = read_manifest(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(
            f"Replace everything in {db.engine.url.render_as_string(hide_password=True)} "
            f"with the backup of {manifest['created_at']}?",
            abort=True,
        )
    try:
        with db.engine.begin() as conn:
            restore(conn, archive, uploads_dir())
    except BackupError as exc:
        raise click.ClickException(f"{exc} (nothing was changed)") from None
    db.session.remove()
    queue_rebuild_if_needed()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"restored {rows} rows and {manifest['files']} files from {archive}")


def queue_rebuild_if_needed() -> None:
    """Ask the worker to check the index against the restored database."""
    from jobs.dispatch import dispatch

    try:
        dispatch("ketnoi.ensure_index")
    except Exception as exc:  # the worker's start-up check repairs it anyway
        click.echo(f"index check not queued ({exc}); the worker checks it on start")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(index_cli)
    app.cli.add_command(taxonomy_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
