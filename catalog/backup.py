"""Backup and restore of the database and the uploaded files, as one archive.

The archive is a gzipped tar: ``manifest.json`` (format, schema revision, time, row
counts and a digest per table), one JSON-lines file per table in dependency order, and
the uploaded files (evidence of checks, photos of parts) under ``files/``. Rows are
written as plain JSON, not as an engine's dump, so a backup taken from SQLite restores
into PostgreSQL and back. The search index is not in it: it is derived, and the worker
rebuilds it when it finds it out of step with the restored database.

Restore replaces everything in one transaction: a bad archive (wrong schema revision, a
table digest that does not match, a row the database refuses) leaves the database as it
was.
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    MetaData,
    Numeric,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from .models import Base

FORMAT = "ketnoi-backup/1"
BATCH = 1000


class BackupError(ValueError):
    """An archive that cannot be restored here; the message says why."""


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # prices and order values: kept exactly, as text
        return str(value)
    return value


def _typed(column, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo or not kind.timezone else moment.replace(tzinfo=UTC)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return kind.enum_class(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return Decimal(value)
    return value


def _tables(metadata: MetaData = Base.metadata):
    """Tables in dependency order (parents first), the schema's version table and the
    tables derived from the others (marked ``info={"derived": True}``: the search
    index's change log and shipped bases) excluded."""
    return [
        t
        for t in metadata.sorted_tables
        if t.name != "alembic_version" and not t.info.get("derived")
    ]


def _derived(metadata: MetaData = Base.metadata):
    return [t for t in metadata.sorted_tables if t.info.get("derived")]


def schema_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no migrations table: a database made by create_all (tests, tools)
        return None


def backup(conn: Connection, files_root: Path, out: Path) -> dict[str, Any]:
    """Write the archive to ``out``; returns the manifest."""
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "revision": schema_revision(conn),
        "tables": {},
        "files": 0,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with tarfile.open(partial, "w:gz") as tar:
        for table in _tables():
            order = [c for c in table.primary_key.columns] or list(table.columns)
            buffer = io.BytesIO()
            rows = 0
            for row in conn.execute(select(table).order_by(*order)).mappings():
                line = json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False)
                buffer.write(line.encode() + b"\n")
                rows += 1
            data = buffer.getvalue()
            _add_bytes(tar, f"tables/{table.name}.jsonl", data)
            manifest["tables"][table.name] = {
                "rows": rows,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        root = Path(files_root)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                tar.add(path, arcname=f"files/{path.relative_to(root).as_posix()}")
                manifest["files"] += 1
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
    partial.replace(out)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is not a KetNoi backup: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: unknown format {manifest.get('format')!r}")
    return manifest


def restore(conn: Connection, archive: Path, files_root: Path) -> dict[str, Any]:
    """Replace the database's rows and the uploaded files with the archive's.

    Runs in the caller's transaction (``engine.begin()``): any problem raises and
    nothing is kept. The files are swapped in only after the rows went in.
    """
    manifest = read_manifest(archive)
    here = schema_revision(conn)
    if manifest.get("revision") != here:
        raise BackupError(
            f"the backup is of schema revision {manifest.get('revision')}, this database is "
            f"at {here}: run `flask db upgrade` (or restore into a matching version) first"
        )
    tables = _tables()
    known = {t.name for t in tables}
    missing = known - set(manifest["tables"])
    if missing:
        raise BackupError(f"the backup lacks tables {sorted(missing)}")
    with tarfile.open(archive, "r:gz") as tar:
        contents = {}
        for table in tables:
            member = tar.extractfile(f"tables/{table.name}.jsonl")
            data = member.read() if member is not None else b""
            if hashlib.sha256(data).hexdigest() != manifest["tables"][table.name]["sha256"]:
                raise BackupError(f"table {table.name}: contents do not match the manifest")
            contents[table.name] = data
        late = _late_columns(tables)
        for table in tables:  # break reference cycles before deleting (firm ↔ user)
            if late[table.name]:
                conn.execute(update(table).values({c.name: None for c in late[table.name]}))
        for table in reversed(tables):
            conn.execute(delete(table))
        # What was derived from the replaced rows goes with them: the worker finds the
        # index's log emptied under its base and rebuilds it from the restored rows.
        for table in reversed(_derived()):
            conn.execute(delete(table))
        deferred: list[tuple[Any, dict, dict]] = []
        for table in tables:
            columns = {c.name: c for c in table.columns}
            later = {c.name for c in late[table.name]}
            keys = [c.name for c in table.primary_key.columns]
            batch = []
            for line in contents[table.name].splitlines():
                raw = json.loads(line)
                row = {k: _typed(columns[k], v) for k, v in raw.items() if k in columns}
                pending = {k: row[k] for k in later if row.get(k) is not None}
                if pending:
                    # The later UPDATE must not stamp ``updated_at`` anew (onupdate).
                    kept = {c.name: row.get(c.name) for c in table.columns if c.onupdate}
                    deferred.append((table, {k: row[k] for k in keys}, {**pending, **kept}))
                    row.update(dict.fromkeys(pending))
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
        for table, key, values in deferred:  # the references that close a cycle
            where = [table.c[k] == v for k, v in key.items()]
            conn.execute(update(table).where(*where).values(values))
        _reset_sequences(conn, tables)
        with tempfile.TemporaryDirectory(dir=Path(files_root).parent) as staging:
            staged = Path(staging) / "files"
            staged.mkdir()
            for member in tar.getmembers():
                if not member.isfile() or not member.name.startswith("files/"):
                    continue
                relative = Path(member.name).relative_to("files")
                if ".." in relative.parts or relative.is_absolute():
                    raise BackupError(f"unsafe path in the backup: {member.name}")
                target = staged / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is not None:
                    target.write_bytes(source.read())
            root = Path(files_root)
            if root.exists():
                shutil.rmtree(root)
            shutil.move(str(staged), str(root))
    return manifest


def _late_columns(tables) -> dict[str, list]:
    """Per table, the foreign-key columns pointing at a table restored later (or at
    itself): written as NULL first and filled in once every row is in."""
    position = {t.name: i for i, t in enumerate(tables)}
    late: dict[str, list] = {}
    for table in tables:
        late[table.name] = [
            fk.parent
            for fk in table.foreign_keys
            if position.get(fk.column.table.name, -1) >= position[table.name]
        ]
    return late


def _reset_sequences(conn: Connection, tables) -> None:
    """PostgreSQL keeps id counters apart from the rows: move them past the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        highest = conn.execute(select(func.max(pk[0]))).scalar() or 0
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, :called)"),
            {"t": table.name, "c": pk[0].name, "v": max(highest, 1), "called": highest > 0},
        )


def table_digests(conn: Connection) -> dict[str, str]:
    """A digest of each table's rows, in key order (to compare two databases)."""
    digests = {}
    for table in _tables():
        order = [c for c in table.primary_key.columns] or list(table.columns)
        h = hashlib.sha256()
        for row in conn.execute(select(table).order_by(*order)).mappings():
            h.update(json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True).encode())
        digests[table.name] = h.hexdigest()
    return digests
