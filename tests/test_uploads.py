"""Uploaded files are what they say: survey workbooks with a DTD, entities or broken XML
are refused cleanly (page and command line), a name must agree with the bytes, and
images and PDFs must be whole, sound files; stored photos keep only their pixels."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import date

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import select

from catalog import files
from catalog.imports import ImportRefused, read_table
from catalog.models import Firm, NeedPhoto, Verification
from tests.factories import make_need, make_supplier, png_bytes
from webapp.extensions import db

SHEET = "xl/worksheets/sheet1.xml"
# Nine levels of ten: a thousand million "lol"s if a parser expands them.
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _workbook(name: str = "Xưởng Kiểm Tra") -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Company name", "Province"])
    book.active.append([name, "VP"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, part: str, change) -> bytes:
    """The same workbook with one part's bytes changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            archive.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def _with_cell(entity: bytes):
    def change(content: bytes) -> bytes:
        return content.replace("<t>Xưởng Kiểm Tra</t>".encode(), b"<t>" + entity + b"</t>")

    return change


WORKBOOK = _workbook()
BAD_WORKBOOKS = {
    "billion-laughs": _rewrite(
        WORKBOOK, SHEET, lambda c: BILLION_LAUGHS + _with_cell(b"&lol9;")(c)
    ),
    "external-entity": _rewrite(WORKBOOK, SHEET, lambda c: EXTERNAL + _with_cell(b"&xxe;")(c)),
    "dtd-in-workbook": _rewrite(
        WORKBOOK, "xl/workbook.xml", lambda c: b'<!DOCTYPE x [<!ENTITY a "b">]>' + c
    ),
    # The DOCTYPE in UTF-16: no ASCII "<!DOCTYPE" in the bytes.
    "utf16-dtd": _rewrite(
        WORKBOOK,
        SHEET,
        lambda c: (
            (
                b'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
                + _with_cell(b"&a;")(c)
            )
            .decode()
            .encode("utf-16")
        ),
    ),
    "malformed-sheet": _rewrite(WORKBOOK, SHEET, lambda c: c.replace(b"</sheetData>", b"<row><c")),
    "malformed-late-row": _rewrite(
        WORKBOOK, SHEET, lambda c: c.replace(b"</row></sheetData>", b"</row><row r='3'><c>")
    ),
    "odd-encoding": _rewrite(
        WORKBOOK,
        SHEET,
        lambda c: b'<?xml version="1.0" encoding="cp037"?>' + c,
    ),
}


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


@pytest.mark.parametrize("kind", sorted(BAD_WORKBOOKS))
def test_a_workbook_with_a_dtd_or_broken_xml_is_refused_before_parsing(kind):
    with pytest.raises(ImportRefused) as refused:
        read_table(BAD_WORKBOOKS[kind])
    message = str(refused.value)
    assert "XLSX" in message
    assert "root:" not in message and "lollol" not in message  # nothing was expanded


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("billion-laughs", "xl/worksheets/sheet1.xml khai báo DTD hoặc thực thể XML"),
        ("external-entity", "xl/worksheets/sheet1.xml khai báo DTD hoặc thực thể XML"),
        ("malformed-sheet", "Tệp XLSX bị hỏng."),
        ("malformed-late-row", "Tệp XLSX bị hỏng."),
    ],
)
def test_the_import_page_refuses_them_with_422_in_the_readers_language(client_as, kind, message):
    officer = client_as("officer")
    response = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(BAD_WORKBOOKS[kind]), "khao-sat.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    english = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(BAD_WORKBOOKS[kind]), "survey.xlsx")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 422
    assert "The XLSX file is" in english.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["billion-laughs", "external-entity", "malformed-sheet"])
def test_the_command_line_refuses_them_with_exit_code_2(app, tmp_path, kind):
    path = tmp_path / "survey.xlsx"
    path.write_bytes(BAD_WORKBOOKS[kind])
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "The XLSX file is" in json.loads(result.output)["error"]


def test_a_sound_workbook_still_imports():
    table = read_table(WORKBOOK, "khao-sat.xlsx")
    assert table.rows[0][:2] == ["Xưởng Kiểm Tra", "VP"]


# A file's name must agree with its bytes ------------------------------------------

CSV = "Tên doanh nghiệp,Tỉnh\nXưởng Tên Tệp,VP\n".encode()


def test_an_xlsx_named_csv_and_a_csv_named_xlsx_are_refused_naming_both(client_as):
    officer = client_as("officer")
    for body, name, expected in (
        (WORKBOOK, "khao-sat.csv", "là tệp CSV, nhưng nội dung của nó là tệp XLSX"),
        (CSV, "khao-sat.xlsx", "là tệp XLSX, nhưng nội dung của nó là tệp CSV"),
    ):
        response = officer.post(
            "/imports/",
            data={"file": (io.BytesIO(body), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, name
        assert name in response.get_data(as_text=True)
        assert expected in response.get_data(as_text=True)
    # What agrees is accepted.
    for body, name in ((WORKBOOK, "khao-sat.xlsx"), (CSV, "khao-sat.csv")):
        response = officer.post(
            "/imports/",
            data={"file": (io.BytesIO(body), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, name


def test_the_command_line_checks_the_name_too(app, tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(WORKBOOK)
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path), "--dry-run"])
    assert result.exit_code == 2
    assert "The name survey.csv says CSV, but the file's content is XLSX." in result.output


# Images and PDFs are decoded whole -------------------------------------------------


def _jpeg(size=(40, 30), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90° to view
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 36.0, 2.0)}  # GPS
    return exif


def _bomb() -> bytes:
    """A 60-megapixel black PNG: a few kilobytes that decode to 60 MB."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buffer, "PNG")
    return buffer.getvalue()


SCRIPT = b"<html><script>alert(document.cookie)</script></html>"
BAD_IMAGES = {
    "polyglot.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + SCRIPT,
    "polyglot.png": b"\x89PNG\r\n\x1a\n" + SCRIPT,
    "truncated.jpg": _jpeg()[:300],
    "truncated.png": png_bytes(size=(64, 64))[:-40],
    "bomb.png": _bomb(),
}


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_polyglot_truncated_and_bomb_images_are_refused(name):
    with pytest.raises(ValueError) as refused:
        files.check_uploads([files.Upload(name, BAD_IMAGES[name])], most=1, max_bytes=10**7)
    assert name in str(refused.value)


def test_a_pdf_without_its_trailer_is_refused():
    with pytest.raises(ValueError, match="cut.pdf is damaged"):
        files.check_uploads(
            [files.Upload("cut.pdf", b"%PDF-1.4\n1 0 obj<</Type/Page")], most=1, max_bytes=10**7
        )
    sound = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert files.check_uploads([files.Upload("ok.pdf", sound)], most=1, max_bytes=10**7)


def test_a_polyglot_photo_is_refused_on_the_page(session, people, client_as):
    buyer_firm = session.get(Firm, people.firms["buyer"])
    need = make_need(session, buyer_firm, title="Vỏ nhôm thử ảnh giả", visibility="public")
    for name in ("polyglot.jpg", "truncated.jpg", "bomb.png"):
        page = client_as("buyer").post(
            f"/needs/{need.id}/photos",
            data={"photos": [(io.BytesIO(BAD_IMAGES[name]), name)]},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        text = page.get_data(as_text=True)
        assert f"{name} bị hỏng hoặc không đầy đủ." in text or f"Ảnh {name} quá lớn" in text
    assert session.scalars(select(NeedPhoto).where(NeedPhoto.need_id == need.id)).all() == []


def test_a_polyglot_is_refused_as_evidence(session, client_as):
    firm = make_supplier(
        session, f"Cơ Khí Bằng Chứng {uuid.uuid4().hex[:5]}", [{"title": "Tiện CNC trục thép"}]
    )
    before = session.scalar(select(Verification.id).order_by(Verification.id.desc()).limit(1))
    response = client_as("officer").post(
        f"/firms/{firm.id}/verifications/new",
        data={
            "item": f"capability:{firm.capabilities[0].id}",
            "method": "documents",
            "result": "confirmed",
            "checked_on": date.today().isoformat(),
            "evidence": [(io.BytesIO(BAD_IMAGES["polyglot.jpg"]), "scan.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "scan.jpg bị hỏng hoặc không đầy đủ." in response.get_data(as_text=True)
    after = session.scalar(select(Verification.id).order_by(Verification.id.desc()).limit(1))
    assert after == before


def test_a_stored_photo_keeps_its_pixels_only(session, people, client_as):
    """A real photo carrying GPS, a comment script and HTML after its end is accepted;
    what is stored and served is upright and carries none of them."""
    buyer_firm = session.get(Firm, people.firms["buyer"])
    need = make_need(session, buyer_firm, title="Bánh răng thử siêu dữ liệu", visibility="public")
    photo = _jpeg(exif=_gps_exif(), comment=SCRIPT) + SCRIPT
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(0x8825)  # the GPS position is there to strip
    client_as("buyer").post(
        f"/needs/{need.id}/photos",
        data={"photos": [(io.BytesIO(photo), "banh-rang.jpg")]},
        content_type="multipart/form-data",
    )
    stored = session.scalars(select(NeedPhoto).where(NeedPhoto.need_id == need.id)).one()
    served = client_as("anonymous").get(f"/needs/photos/{stored.id}")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert b"<script" not in served.data and stored.size == len(served.data)
    with Image.open(io.BytesIO(served.data)) as image:
        assert not image.getexif() and "comment" not in image.info
        assert image.size == (30, 40)  # turned upright as the orientation tag said
