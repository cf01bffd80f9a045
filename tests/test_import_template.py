"""The survey template (/imports/template.xlsx): the headers the import knows, in
Vietnamese and English; drop-down lists of the provinces the database holds now, and of
sectors and processes in the reader's language; an example row; and filled in, it
imports as it is."""

from __future__ import annotations

import io
import uuid

import openpyxl
import pytest
from sqlalchemy import select

from catalog.imports import TEMPLATE_COLUMNS, guess_mapping, import_table, read_table
from catalog.models import Concept, Firm, Province
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _download(client, lang: str) -> openpyxl.Workbook:
    client.get(f"/lang/{lang}")
    resp = client.get("/imports/template.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(resp.data))


def _validations(sheet) -> dict[str, str]:
    """Column letter → the list its drop-down offers."""
    found = {}
    for rule in sheet.data_validations.dataValidation:
        assert rule.type == "list"
        column = str(rule.sqref).split(":")[0].rstrip("0123456789")
        found[column] = rule.formula1
    return found


def _column(sheet, letter: str) -> list[str]:
    return [c.value for c in sheet[letter][1:] if c.value]


def test_the_template_has_bilingual_headers_lists_from_the_database_and_an_example(
    session, client_as
):
    book = _download(client_as("officer"), "vi")
    sheet, lists = book.worksheets[0], book.worksheets[1]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "Tên doanh nghiệp / Firm name"
    assert "Công nghệ / Process" in headers
    # Every header is one the import knows, as the field it stands for.
    assert guess_mapping(headers) == {
        h: name for h, (name, _vi, _en) in zip(headers, TEMPLATE_COLUMNS, strict=True)
    }
    assert sheet.title == "Doanh nghiệp cần nhập" and lists.title == "Danh mục"
    provinces = sorted(p.name_vi for p in session.scalars(select(Province)))
    assert sorted(_column(lists, "A")) == provinces  # read from the database, not a file
    sectors = {c.name_vi for c in session.scalars(select(Concept).where(Concept.kind == "sector"))}
    assert set(_column(lists, "B")) == sectors and "Linh kiện ô tô, xe máy" in sectors
    processes = session.scalars(select(Concept).where(Concept.kind == "process"))
    assert set(_column(lists, "C")) == {c.name_vi for c in processes}
    columns = {
        name: openpyxl.utils.get_column_letter(i)
        for i, (name, _v, _e) in enumerate(TEMPLATE_COLUMNS, start=1)
    }
    offered = _validations(sheet)
    assert set(offered) == {columns["province"], columns["sectors"], columns["process"]}
    assert offered[columns["province"]].endswith(f"!$A$2:$A${len(provinces) + 1}")
    # The example row: in the officer's province, with a sector holding a comma.
    example = dict(
        zip([n for n, _v, _e in TEMPLATE_COLUMNS], [c.value for c in sheet[2]], strict=True)
    )
    officer_province = session.scalar(
        select(Province)
        .join(Firm, Firm.province_id == Province.id)
        .where(Firm.name_vi == "Công ty TNHH Cơ khí Kiểm Thử VP")
    )
    assert example["province"] == officer_province.name_vi
    assert example["sectors"] == "Linh kiện ô tô, xe máy"
    assert book.worksheets[2].title == "Hướng dẫn"


def test_the_template_speaks_the_reader_s_language(session, client_as):
    book = _download(client_as("admin"), "en")
    sheet, lists = book.worksheets[0], book.worksheets[1]
    assert sheet.title == "Firms to import" and lists.title == "Lists"
    assert [c.value for c in sheet[1]][0] == "Tên doanh nghiệp / Firm name"  # both, always
    assert "Automotive and motorbike parts" in _column(lists, "B")
    assert "Linh kiện ô tô, xe máy" not in _column(lists, "B")
    assert {p.name_en for p in session.scalars(select(Province))} == set(_column(lists, "A"))


def test_the_filled_in_template_imports(session, client_as):
    officer = client_as("officer")
    book = _download(officer, "vi")
    sheet, lists = book.worksheets[0], book.worksheets[1]
    # As is: the example row is a firm like any other.
    tag = uuid.uuid4().hex[:6]
    buffer = io.BytesIO()
    book.save(buffer)
    as_is = read_table(buffer.getvalue())
    assert set(guess_mapping(as_is.headers).values()) == {n for n, _v, _e in TEMPLATE_COLUMNS}
    dry = import_table(session, as_is, dry_run=True)
    assert (dry.created, dry.rejected) == (1, 0), [p.as_dict() for p in dry.problems]
    # Filled in by an officer: values from the drop-down lists, row 2 replaced.
    columns = {name: i for i, (name, _v, _e) in enumerate(TEMPLATE_COLUMNS)}
    row = [None] * len(TEMPLATE_COLUMNS)
    row[columns["name_vi"]] = f"Công ty CP Mẫu Điền {tag}"
    row[columns["province"]] = sheet.cell(2, columns["province"] + 1).value
    row[columns["sectors"]] = "Linh kiện ô tô, xe máy; Điện tử"
    stamping = session.get(Concept, "process.stamping").name_vi
    assert stamping in _column(lists, "C")
    row[columns["process"]] = stamping
    row[columns["capacity"]] = "5.000 chiếc/tháng"
    row[columns["certifications"]] = "ISO 9001 (hết hạn 06/2027)"
    for index, value in enumerate(row, start=1):
        sheet.cell(2, index).value = value
    sheet.append([None] * columns["name_vi"] + [f"Xưởng Thiếu Tỉnh {tag}"])  # no province
    buffer = io.BytesIO()
    book.save(buffer)
    resp = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(buffer.getvalue()), "mau-da-dien.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    page = officer.get(preview).get_data(as_text=True)
    assert "bị bỏ qua" not in page  # every column of the template maps to a field
    form = {f"map-{i}": name for i, (name, _v, _e) in enumerate(TEMPLATE_COLUMNS)}
    resp = officer.post(preview, data={**form, "action": "import"})
    status = officer.get(resp.headers["Location"] + ".json").json
    assert (status["summary"]["created"], status["summary"]["rejected"]) == (1, 1), status
    assert status["summary"]["rejected_rows"][0]["row"] == 3
    db.session.expire_all()
    firm = db.session.scalar(select(Firm).where(Firm.name_vi == f"Công ty CP Mẫu Điền {tag}"))
    assert sorted(s.id for s in firm.sectors) == [
        "sector.automotive_motorbike",
        "sector.electronics",
    ]
    assert [(c.process_id, c.capacity_per_month) for c in firm.capabilities] == [
        ("process.stamping", 5000)
    ]
    assert [(c.standard, str(c.valid_until)) for c in firm.certifications] == [
        ("ISO 9001", "2027-06-30")
    ]
