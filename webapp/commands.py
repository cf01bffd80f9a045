"""Flask CLI commands: demo data and the search index.

flask --app webapp seed-demo        reference data + demo catalog + index (idempotent)
flask --app webapp index rebuild    re-encode the whole catalog
flask --app webapp index status     what the index holds and how it compares to the DB
"""

from __future__ import annotations

import json
import time

import click
from flask import Flask
from flask.cli import AppGroup

from catalog.demo import load_demo_catalog
from catalog.reference_data import load_reference_data
from jobs.runtime import runtime
from jobs.sync import index_sync_paused
from matching import indexing
from matching.store import IndexUnavailable

from .extensions import db

index_cli = AppGroup("index", help="Build and inspect the search index.")


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
    if no_index:
        return
    rt = runtime()
    try:
        bundle = rt.store.load(rt.encoder.model_name)
        drift = indexing.consistency(session, bundle)
    except IndexUnavailable as exc:
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


@index_cli.command("status")
def index_status() -> None:
    """Print the index metadata and its drift from the database as JSON."""
    rt = runtime()
    try:
        bundle = rt.store.load(rt.encoder.model_name)
    except IndexUnavailable as exc:
        click.echo(json.dumps({"status": "unavailable", "detail": str(exc)}))
        raise SystemExit(1) from None
    drift = indexing.consistency(db.session, bundle)
    click.echo(json.dumps({"status": "ok", **bundle.meta(), "drift": drift}))


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(index_cli)
