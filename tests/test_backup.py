"""Backup and restore: a round trip gives back the same rows and files; a damaged or
mismatched archive is refused and changes nothing."""

from __future__ import annotations

import gzip
import io
import tarfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from catalog import photos, services
from catalog.backup import table_digests
from catalog.deals import pipeline
from catalog.files import Upload
from catalog.models import Firm, Need, Quote, User
from jobs.sync import index_sync_paused
from tests.factories import make_buyer, png_bytes
from webapp.extensions import db

PNG = png_bytes((1, 1, 1))


def _digests() -> dict[str, str]:
    with db.engine.connect() as conn:
        return table_digests(conn)


def test_a_backup_restores_the_same_rows_and_files(app, session, people, tmp_path):
    uploads = Path(app.config["DATA_DIR"]) / "uploads"
    buyer = make_buyer(session, "Backup Roundtrip Co")
    # A verified firm points at its officer, who points at … : a reference cycle
    # (firms ↔ users) that restoring must get round.
    services.set_verified(session, buyer, session.get(User, people.users["officer"]), True)
    need = services.create_need(
        session, buyer, {"title": "Bánh răng nhựa POM", "visibility": "public"}
    )
    (photo,) = photos.add_photos(session, need, [Upload("banh-rang.png", PNG)], uploads / "photos")
    photo_file = photos.photo_path(uploads / "photos", photo)
    # A quotation in dollars: a price kept exactly (a Numeric column, Decimal in Python).
    deal = pipeline.deal_for(session, need, session.get(Firm, people.firms["supplier"]))
    quote = Quote(deal=deal, unit_price=Decimal("0.4825"), currency="USD")
    session.add(quote)
    session.commit()
    need_id, buyer_id, quote_id = need.id, buyer.id, quote.id
    archive = tmp_path / "ketnoi.tar.gz"
    before = _digests()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "--out", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.exists() and "files" in result.output

    # Things change after the backup: a firm goes, a need comes, a file is lost.
    with index_sync_paused(session):
        session.delete(session.get(Firm, buyer_id))
        services.create_need(
            session,
            session.scalars(select(Firm).where(Firm.role == "buyer")).first(),
            {"title": "Need made after the backup"},
        )
    photo_file.unlink()
    assert _digests() != before

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert _digests() == before
    assert photo_file.read_bytes() == PNG
    session = db.session  # the command ended the old session
    assert session.get(Need, need_id).photos[0].filename == "banh-rang.png"
    assert session.get(Firm, buyer_id).verified_by_id == people.users["officer"]
    assert session.get(Quote, quote_id).unit_price == Decimal("0.4825")
    assert session.scalar(select(Need).where(Need.title == "Need made after the backup")) is None


def test_a_damaged_or_foreign_archive_changes_nothing(app, ctx, tmp_path):
    runner = app.test_cli_runner()
    archive = tmp_path / "good.tar.gz"
    assert runner.invoke(args=["backup", "--out", str(archive)]).exit_code == 0
    before = _digests()

    # One table's rows altered after the manifest was written.
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "tables/firms.jsonl":
                data = data.replace(b'"name_vi": "', b'"name_vi": "X', 1)
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    result = runner.invoke(args=["restore", str(tampered), "--yes"])
    assert (
        result.exit_code != 0
        and "firms" in result.output
        and "nothing was changed" in result.output
    )
    assert _digests() == before

    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_bytes(gzip.compress(b"hello"))
    result = runner.invoke(args=["restore", str(not_a_backup), "--yes"])
    assert result.exit_code != 0 and "not a KetNoi backup" in result.output
    assert _digests() == before
