"""Bulk import of survey files: rows land or are reported, files are read defensively,
re-importing changes nothing, and the command line reports in JSON."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from catalog.imports import ImportRefused, import_table, read_table
from catalog.models import Firm
from jobs.runtime import runtime
from matching import indexing
from tests.conftest import fresh_tax_code
from webapp.extensions import db


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def _firm_count(session) -> int:
    return session.scalar(select(func.count(Firm.id)))


def test_good_rows_land_bad_rows_are_reported_and_reimport_changes_nothing(session):
    tag = uuid.uuid4().hex[:6]
    tax = fresh_tax_code()
    data = _csv(
        [
            [
                "STT",
                "Tên doanh nghiệp",
                "Mã số thuế",
                "Tỉnh",
                "Số lao động",
                "Năng lực",
                "Chứng chỉ",
            ],
            [
                "1",
                f"Công ty TNHH Dập Thử {tag}",
                tax,
                "VP",
                "120",
                "Dập thép tấm SPCC, SECC; Hàn robot",
                "ISO 9001",
            ],
            ["2", "", "0101234567", "VP", "", "", ""],
            ["3", f"Công ty Nhựa Thử {tag}", "", "Hà Nội", "abc", "", ""],
            ["4", f"Cơ khí Không Mã Số {tag}", "", "bac ninh", "35", "Tiện CNC", ""],
        ]
    )
    before = _firm_count(session)
    result = import_table(session, read_table(data))
    assert (result.rows_read, result.created, result.rejected) == (4, 2, 2)
    assert [p.row for p in result.problems] == [3, 4]
    assert set(result.problems[0].reasons) == {"name_vi", "tax_code"}
    assert set(result.problems[1].reasons) == {"employees"}
    assert _firm_count(session) == before + 2
    firm = session.scalar(select(Firm).where(Firm.tax_code == tax))
    assert [c.title for c in firm.capabilities] == ["Dập thép tấm SPCC, SECC", "Hàn robot"]
    assert [c.standard for c in firm.certifications] == ["ISO 9001"]
    # Rows after a rejected one reach the index too (rolled-back savepoints in between).
    rt = runtime()
    current = indexing.load_current(session, rt.store, rt.encoder.model_name)
    assert indexing.consistency(session, current)["missing"] == 0
    # Matched by name and province when there is no tax code (diacritics ignored).
    again = import_table(session, read_table(data))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 2)
    assert _firm_count(session) == before + 2
    # A changed value updates the firm it matches, and only that.
    changed = data.replace(b",120,", b",150,")
    third = import_table(session, read_table(changed))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    session.refresh(firm)
    assert firm.employees == 150


def test_dry_run_changes_nothing(session):
    data = _csv([["Tên doanh nghiệp", "Tỉnh"], [f"Xưởng Chạy Thử {uuid.uuid4().hex[:6]}", "TN"]])
    before = _firm_count(session)
    result = import_table(session, read_table(data), dry_run=True)
    assert result.created == 1 and result.dry_run
    assert _firm_count(session) == before


def test_legacy_tcvn3_file_is_repaired(session):
    # "Công ty TNHH Cơ khí" typed with the .VnTime font, saved as Windows-1252 bytes.
    name = "C«ng ty TNHH C¬ khÝ Th¸i Nguyªn"
    data = _csv([["Ten doanh nghiep", "Tinh"], [name, "TN"]], encoding="cp1252")
    table = read_table(data)
    assert table.encoding == "tcvn3"
    assert table.rows[0][0] == "Công ty TNHH Cơ khí Thái Nguyên"


def test_xlsx_formulas_are_never_imported(session):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Company name", "Province", "Website"])
    sheet.append([f"Formula Test Works {uuid.uuid4().hex[:6]}", "HN", '=HYPERLINK("http://x")'])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue())
    assert table.rows[0][2] == ""  # no cached value: the formula itself is not kept


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"GIF89a\x00\x00\x01", "not a CSV or XLSX"),
        (_zip({"[Content_Types].xml": b"<x/>", "xl/vbaProject.bin": b"x"}), "macros"),
        (_zip({"[Content_Types].xml": b"<x/>", "xl/big.xml": b"0" * 50_000_000}), "unreasonable"),
        (_zip({"hello.txt": b"not a workbook"}), "not a CSV or XLSX"),
        (b"Name,Province\n", "no data rows"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, message):
    with pytest.raises(ImportRefused) as exc:
        read_table(data)
    assert message in str(exc.value)


def test_command_line_prints_json_and_exit_codes(app, tmp_path):
    good = tmp_path / "survey.csv"
    good.write_bytes(
        _csv(
            [
                ["Tên doanh nghiệp", "Tỉnh", "Số lao động"],
                [f"Xưởng CLI {uuid.uuid4().hex[:6]}", "BG", "x"],
            ]
        )
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalog", "import", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows_read"] == 1 and summary["rejected"] == 1
    assert summary["rejected_rows"][0]["row"] == 2
    assert "employees" in summary["rejected_rows"][0]["reasons"]
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = runner.invoke(args=["catalog", "import", str(bad)])
    assert result.exit_code == 2 and "error" in json.loads(result.output)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Tên doanh nghiệp": "name_vi", "Nope": "province"}))
    result = runner.invoke(args=["catalog", "import", str(good), "--mapping", str(mapping)])
    assert result.exit_code == 2


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def test_officer_imports_through_the_web_with_progress_and_error_file(app, session, client_as):
    tag = uuid.uuid4().hex[:6]
    data = _csv(
        [
            ["Tên doanh nghiệp", "Tỉnh", "Lao động", "Ghi chú"],
            [f"Xưởng Web Một {tag}", "VP", "40", "x"],
            [f"Xưởng Web Hai {tag}", "BN", "55", "y"],  # not the officer's province
            [f"Xưởng Web Ba {tag}", "VP", "nhiều", "z"],
        ]
    )
    officer = client_as("officer")
    resp = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(data), "khao-sat.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    preview_url = resp.headers["Location"]
    page = officer.get(preview_url).get_data(as_text=True)
    assert f"Xưởng Web Một {tag}" in page and 'role="alert"' in page  # problems highlighted
    # "Lao động" is not a known header: map it by hand; the mapping is remembered.
    form = {"map-0": "name_vi", "map-1": "province", "map-2": "employees", "action": "import"}
    resp = officer.post(preview_url, data=form)
    assert resp.status_code == 302 and "/imports/jobs/" in resp.headers["Location"]
    job_url = resp.headers["Location"]
    assert officer.get(job_url).status_code == 200
    status = officer.get(job_url + ".json").json
    assert status["state"] == "SUCCESS", status
    summary = status["summary"]
    assert (summary["created"], summary["rejected"]) == (1, 2)
    assert {r["row"] for r in summary["rejected_rows"]} == {3, 4}
    errors = officer.get(job_url + "/errors.csv").data.decode("utf-8-sig")
    assert f"Xưởng Web Hai {tag}" in errors and f"Xưởng Web Một {tag}" not in errors
    # Written by the worker in the officer's language.
    assert errors.startswith("Dòng,Lỗi,") and "Phải là số nguyên." in errors, errors
    assert (
        session.scalar(select(Firm).where(Firm.name_vi == f"Xưởng Web Một {tag}")).employees == 40
    )
    # Another officer cannot watch this job; the mapping is remembered for the layout.
    assert client_as("other_officer").get(job_url + ".json").status_code == 404
    resp = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(data), "lan-hai.csv")},
        content_type="multipart/form-data",
    )
    page = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'value="employees" selected' in page
    # The officer reads the fields by their names in her language, not the API's keys.
    assert 'value="employees" selected>Số lao động</option>' in page
    assert ">employees<" not in page and ">name_vi<" not in page


def test_uploads_are_checked_by_name_and_bytes(client_as):
    admin = client_as("admin")
    for name, content in (("photo.png", b"\x89PNG\r\n"), ("fake.xlsx", b"GIF89a\x00\x00")):
        resp = admin.post(
            "/imports/",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 422


def test_reimport_never_changes_what_the_file_does_not_say(session, people):
    """A survey without a role column matches an existing buyer and leaves it a buyer."""
    buyer = session.get(Firm, people.firms["buyer"])
    data = _csv([["Company name", "Province", "Employees"], [buyer.name_vi, "VP", "900"]])
    result = import_table(session, read_table(data))
    assert (result.created, result.updated) == (0, 1)
    session.refresh(buyer)
    assert buyer.role.value == "buyer" and buyer.employees == 900


def _victim_and_rows(session, tag: str):
    """A firm of Bắc Ninh, and a survey of Vĩnh Phúc whose rows 3-5 reach it: by its tax
    code (with the officer's province in the row, and with none), and by its name with
    no province."""
    from tests.factories import make_supplier

    victim = make_supplier(
        session,
        f"Công ty Nạn Nhân {tag}",
        [{"title": "Đúc nhôm áp lực"}],
        province="BN",
        contact_email="real@victim.test",
    )
    data = _csv(
        [
            ["Tên doanh nghiệp", "Mã số thuế", "Tỉnh", "Email", "Năng lực", "Chứng chỉ"],
            [f"Xưởng Hợp Lệ Một {tag}", "", "VP", "", "Hàn MIG", ""],
            [f"Chiếm Đoạt {tag}", victim.tax_code, "VP", "evil@x.test", "Hàn", "ISO 9001"],
            [f"Chiếm Đoạt Hai {tag}", victim.tax_code, "", "evil@x.test", "", "IATF 16949"],
            [victim.name_vi, "", "", "evil@x.test", "Tiện CNC", ""],
            [f"Xưởng Hợp Lệ Hai {tag}", "", "VP", "", "", ""],
        ]
    )
    return victim, data


def _untouched(session, victim: Firm) -> None:
    session.expire_all()
    assert victim.name_vi.startswith("Công ty Nạn Nhân") and victim.province.code == "BN"
    assert victim.contact_email == "real@victim.test"
    assert [c.title for c in victim.capabilities] == ["Đúc nhôm áp lực"]
    assert victim.certifications == []


def _alert_for(session, victim: Firm):
    from catalog.models import AuditEntry

    session.expire_all()
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "alert", AuditEntry.province_id == victim.province_id)
        .order_by(AuditEntry.id.desc())
    ).first()


def test_an_officer_s_rows_never_reach_firms_of_other_provinces(session, people):
    from catalog.access.audit import set_actor
    from catalog.models import User

    tag = uuid.uuid4().hex[:6]
    victim, data = _victim_and_rows(session, tag)
    officer = session.get(User, people.users["officer"])  # Vĩnh Phúc
    set_actor(session, officer)
    result = import_table(session, read_table(data), provinces=officer.province_ids)
    assert (result.created, result.updated, result.rejected) == (2, 0, 3)
    assert [(p.row, set(p.reasons)) for p in result.problems] == [
        (3, {"tax_code"}),
        (4, {"tax_code"}),
        (5, {"name_vi"}),
    ]
    assert str(result.problems[0].reasons["tax_code"]) == (
        "This tax code belongs to a firm in Bắc Ninh, which is not one of your provinces."
    )
    assert str(result.problems[2].reasons["name_vi"]) == (
        "This name matches a firm in Bắc Ninh, which is not one of your provinces."
    )
    _untouched(session, victim)
    for name in (f"Xưởng Hợp Lệ Một {tag}", f"Xưởng Hợp Lệ Hai {tag}"):
        firm = session.scalar(select(Firm).where(Firm.name_vi == name))
        assert firm.province_id in officer.province_ids  # Phú Thọ since the 2025 map
    # Bắc Ninh's officers are told, in their audit log, who tried and which rows.
    alert = _alert_for(session, victim)
    assert alert.actor_id == officer.id and alert.action == "out_of_scope"
    assert alert.changes["rows"] == [3, 4, 5] and alert.changes["firm_id"] == [victim.id]


def test_the_worker_s_import_is_held_to_the_officer_s_provinces(
    app, session, people, client_as, tmp_path
):
    from jobs.tasks import queue_import

    tag = uuid.uuid4().hex[:6]
    victim, data = _victim_and_rows(session, tag)
    path = tmp_path / "survey.csv"
    path.write_bytes(data)
    # The task, as the worker runs it for the officer who uploaded the file.
    job_id = queue_import(session, str(path), None, people.users["officer"])
    summary = import_firms_result(job_id)
    assert (summary["created"], summary["rejected"]) == (2, 3)
    assert [r["row"] for r in summary["rejected_rows"]] == [3, 4, 5]
    errors = (tmp_path / "survey.csv.errors.csv").read_bytes().decode("utf-8-sig")
    assert "Bắc Ninh" in errors and "không thuộc các tỉnh của bạn" in errors, errors
    _untouched(session, victim)
    page = client_as("other_officer").get("/admin/audit?entity=alert").get_data(as_text=True)
    assert "officer@people.test" in page and f"Công ty Nạn Nhân {tag}" in page
    # A job queued for an account deactivated since writes nothing.
    from catalog.models import User

    user = session.get(User, people.users["officer"])
    user.active = False
    session.commit()
    try:
        other = tmp_path / "again.csv"
        other.write_bytes(_csv([["Tên doanh nghiệp", "Tỉnh"], [f"Xưởng Muộn {tag}", "VP"]]))
        with pytest.raises(PermissionError):  # the eager task raises what a worker logs
            queue_import(session, str(other), None, people.users["officer"])
        assert session.scalar(select(Firm).where(Firm.name_vi == f"Xưởng Muộn {tag}")) is None
    finally:
        user = session.get(User, people.users["officer"])
        user.active = True
        session.commit()


def import_firms_result(job_id: str):
    """The summary an (eager) import job finished with; None when it failed."""
    from jobs.models import ImportJob

    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    return job.summary if job.state == "done" else None


# Officers' files as they really are --------------------------


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _vp_name(session, people) -> str:
    """The name of the officer's province, as the database has it."""
    return session.get(Firm, people.firms["supplier"]).province.name_vi


SURVEY_HEADERS = [
    "STT",
    "Tên doanh nghiệp",
    "Tỉnh",
    "Ngành",
    "Công nghệ",
    "Vật liệu",
    "Sản phẩm chính",
    "Thiết bị",
    "Công suất",
    "Chứng chỉ",
    "Ngày hết hạn",
    "Người liên hệ",
    "Điện thoại",
    "E-mail",
    "Website",
    "Ghi chú",
]


def _survey(tag: str, province: str) -> bytes:
    """A hand-made survey: a sector whose name holds a comma, a "Công nghệ" column, and
    columns nothing maps (STT, Ghi chú); row 3 names a sector the vocabulary lacks."""
    return _xlsx(
        [
            SURVEY_HEADERS,
            [
                1,
                f"Công ty TNHH Dập Khảo Sát {tag}",
                province,
                "Linh kiện ô tô, xe máy; Điện tử",
                "Dập kim loại, Hàn MIG/MAG",
                "Tôn mạ kẽm SECC/SGCC",
                "Khung xe máy, giá đỡ",
                "Máy dập 200 tấn",
                "20.000 sản phẩm/tháng",
                "ISO 9001 (hết hạn 12/2026), IATF 16949",
                "30/06/2027",
                "Nguyễn Văn Khảo",
                "0211 3 555 666",
                f"khaosat-{tag}@firm.test",
                "https://khaosat.example",
                "gọi lại sau",
            ],
            [2, f"Xưởng Sai Ngành {tag}", province, "Ngành không có", "", "", "", "", "", "", ""],
            [
                3,
                f"Xưởng Ép Nhựa {tag}",
                province,
                "Nhựa và cao su",
                "ép phun nhựa",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ]
    )


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("Linh kiện ô tô, xe máy", ["Linh kiện ô tô, xe máy"]),
        ("linh kien o to, xe may; Điện tử", ["linh kien o to, xe may", "Điện tử"]),
        ("Điện tử, Xe đạp, xe điện\nDệt may", ["Điện tử", "Xe đạp, xe điện", "Dệt may"]),
        ("Hàn MIG/MAG / Tiện CNC", ["Hàn MIG/MAG", "Tiện CNC"]),
        (
            "ISO 9001 (hết hạn 12/2026), ISO/TS 16949",
            ["ISO 9001 (hết hạn 12/2026)", "ISO/TS 16949"],
        ),
    ],
)
def test_list_cells_keep_the_vocabulary_s_labels_whole(session, cell, items):
    from catalog.imports import Vocabulary

    vocabulary = Vocabulary(session)
    kind = "certification" if "ISO" in cell else "process" if "MIG" in cell else "sector"
    assert vocabulary.split(kind, cell) == items


def test_certificates_and_capacities_as_surveys_write_them():
    from datetime import date

    from catalog.imports import parse_capacity, parse_certificate

    assert parse_certificate("ISO 9001 (hết hạn 12/2026)") == ("ISO 9001", date(2026, 12, 31))
    assert parse_certificate("ISO 14001 hết hạn 31/12/2027") == ("ISO 14001", date(2027, 12, 31))
    assert parse_certificate("IATF 16949") == ("IATF 16949", None)
    assert parse_capacity("20.000 sản phẩm/tháng") == (20000, "sản phẩm")
    assert parse_capacity("120,000 pcs/year") == (10000, "pcs")
    with pytest.raises(ValueError):
        parse_capacity("nhiều")


def test_every_survey_column_maps_to_a_field():
    from catalog.imports import guess_mapping

    headers = {
        "Tên doanh nghiệp": "name_vi",
        "Cong nghe": "process",
        "Quy trình": "process",
        "Công nghệ sản xuất": "process",
        "Process": "process",
        "Nguyên vật liệu": "materials",
        "Materials": "materials",
        "Sản phẩm chính": "products",
        "Products": "products",
        "Máy móc thiết bị": "equipment",
        "Equipment": "equipment",
        "Công suất": "capacity",
        "Capacity": "capacity",
        "Chứng chỉ": "certifications",
        "Ngay het han": "certification_expiry",
        "Expiry date": "certification_expiry",
        "Người liên hệ": "contact_name",
        "Contact person": "contact_name",
        "Số điện thoại": "contact_phone",
        "Phone": "contact_phone",
        "E-mail": "contact_email",
        "Website": "website",
        "Trang web": "website",
        "Tỉnh/Thành phố / Province": "province",
    }
    for header, name in headers.items():
        assert guess_mapping([header]) == {header: name}, header


def test_a_hand_made_survey_lands_with_processes_materials_and_dated_certificates(session, people):
    from datetime import date

    tag = uuid.uuid4().hex[:6]
    data = _survey(tag, _vp_name(session, people))
    result = import_table(session, read_table(data))
    assert (result.rows_read, result.created, result.rejected) == (3, 2, 1)
    assert [(p.row, set(p.reasons)) for p in result.problems] == [(3, {"sectors"})]
    assert str(result.problems[0].reasons["sectors"]) == ("Unknown sector: Ngành không có.")
    firm = session.scalar(select(Firm).where(Firm.name_vi == f"Công ty TNHH Dập Khảo Sát {tag}"))
    assert sorted(s.id for s in firm.sectors) == [
        "sector.automotive_motorbike",
        "sector.electronics",
    ]
    caps = {c.process_id: c for c in firm.capabilities}
    assert set(caps) == {"process.stamping", "process.mig_welding"}
    for cap in caps.values():
        assert [m.id for m in cap.materials] == ["material.galvanized_steel"]
        assert (cap.products, cap.equipment) == ("Khung xe máy, giá đỡ", "Máy dập 200 tấn")
        assert (cap.capacity_per_month, cap.capacity_unit) == (20000, "sản phẩm")
    assert {c.standard: c.valid_until for c in firm.certifications} == {
        "ISO 9001": date(2026, 12, 31),
        "IATF 16949": date(2027, 6, 30),
    }
    assert (firm.contact_name, firm.contact_phone) == ("Nguyễn Văn Khảo", "0211 3 555 666")
    assert firm.contact_email == f"khaosat-{tag}@firm.test"
    assert firm.website.startswith("https://khaosat.example")
    plastics = session.scalar(select(Firm).where(Firm.name_vi == f"Xưởng Ép Nhựa {tag}"))
    assert [(c.title, c.process_id) for c in plastics.capabilities] == [
        ("ép phun nhựa", "process.injection_molding")
    ]
    again = import_table(session, read_table(data))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 1)
    # A later file with a new expiry updates the certificate, and only it.
    later = read_table(data)
    later.rows[0][10] = "31/12/2028"
    third = import_table(session, later)
    assert (third.updated, third.unchanged) == (1, 1)
    session.refresh(firm)
    held = {c.standard: c.valid_until for c in firm.certifications}
    assert held["IATF 16949"] == date(2028, 12, 31)


def test_the_preview_names_ignored_columns_and_fields_in_the_user_s_language(
    session, people, client_as
):
    tag = uuid.uuid4().hex[:6]
    data = _survey(tag, _vp_name(session, people))
    officer = client_as("officer")
    resp = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(data), "khao-sat.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    page = officer.get(resp.headers["Location"], headers={"Accept-Language": "vi"}).get_data(
        as_text=True
    )
    assert "Các cột sau sẽ bị bỏ qua: STT, Ghi chú." in page
    assert 'value="process" selected>Công nghệ</option>' in page
    assert 'value="certification_expiry" selected>Ngày hết hạn chứng chỉ</option>' in page
    for internal in ("name_vi", "tax_code", "certification_expiry", "contact_email"):
        assert f">{internal}<" not in page
    assert "Không có ngành này trong danh mục: Ngành không có." in page  # row 3's problem
    english = client_as("officer")
    english.get("/lang/en")
    page = english.get(resp.headers["Location"]).get_data(as_text=True)
    assert "These columns will be ignored: STT, Ghi chú." in page
    assert 'value="process" selected>Process</option>' in page


def _second_vp_officer(session, people):
    from catalog import accounts
    from catalog.models import User, UserRole

    province = session.get(Firm, people.firms["supplier"]).province
    email = f"officer2.{uuid.uuid4().hex[:6]}@people.test"
    user = accounts.create_user(
        session,
        email,
        "correct horse battery",
        "Cán bộ Hai",
        role=UserRole.OFFICER,
        provinces=[province],
    )
    return session.get(User, user.id)


def test_import_jobs_are_followed_from_anywhere_and_kept_in_the_history(
    app, session, people, client_as
):
    from tests.conftest import login

    tag = uuid.uuid4().hex[:6]
    data = _survey(tag, _vp_name(session, people))
    officer = client_as("officer")
    resp = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(data), f"khao-sat-{tag}.xlsx")},
        content_type="multipart/form-data",
    )
    resp = officer.post(
        resp.headers["Location"],
        data={
            **{f"map-{i}": "" for i in range(len(SURVEY_HEADERS))},
            "map-1": "name_vi",
            "map-2": "province",
            "map-3": "sectors",
            "map-4": "process",
            "action": "import",
        },
    )
    job_url = resp.headers["Location"]
    assert "/imports/jobs/" in job_url
    # The owner in another browser: the job is found by its record, not the cookie.
    elsewhere = app.test_client()
    login(elsewhere, people.users["officer"])
    assert elsewhere.get(job_url).status_code == 200
    status = elsewhere.get(job_url + ".json").json
    assert (status["summary"]["created"], status["summary"]["rejected"]) == (2, 1), status
    # Another officer of the province follows it and reads its rejected rows.
    colleague = _second_vp_officer(session, people)
    other_browser = app.test_client()
    login(other_browser, colleague.id)
    assert other_browser.get(job_url).status_code == 200
    assert other_browser.get(job_url + ".json").json["summary"]["created"] == 2
    errors = other_browser.get(job_url + "/errors.csv")
    assert errors.status_code == 200 and f"Xưởng Sai Ngành {tag}" in errors.data.decode("utf-8-sig")
    assert "Ngành: Không có ngành này" in errors.data.decode("utf-8-sig")  # labels, not keys
    # Officers of another province do not; nor do firm users (the route's rule).
    bn = client_as("other_officer")
    assert bn.get(job_url).status_code == 404 and bn.get(job_url + ".json").status_code == 404
    assert client_as("supplier").get(job_url).status_code == 403
    # The history: who, the file, the counts, the error file; per province.
    page = other_browser.get("/imports/history", headers={"Accept-Language": "vi"}).get_data(
        as_text=True
    )
    assert f"khao-sat-{tag}.xlsx" in page and "Officer" in page
    row = page[page.index(f"khao-sat-{tag}.xlsx") :].split("</tr>")[0]
    assert [c.split("<")[0] for c in row.split("<td>")[-4:-1]] == ["2", "0", "1"]
    assert job_url.rsplit("/", 1)[1] + "/errors.csv" in row
    assert f"khao-sat-{tag}.xlsx" not in bn.get("/imports/history").get_data(as_text=True)
    code = session.get(Firm, people.firms["supplier"]).province.code
    admin = client_as("admin")
    assert f"khao-sat-{tag}.xlsx" in admin.get(f"/imports/history?province={code}").get_data(
        as_text=True
    )
    other_code = session.get(Firm, people.firms["other_supplier"]).province.code
    assert f"khao-sat-{tag}.xlsx" not in admin.get(
        f"/imports/history?province={other_code}"
    ).get_data(as_text=True)
    upload = officer.get("/imports/").get_data(as_text=True)
    assert "/imports/history" in upload and "/imports/template.xlsx" in upload


def test_old_province_names_are_shown_where_they_land(session, client_as):
    pytest.importorskip("catalog.places")
    tag = uuid.uuid4().hex[:6]
    data = _csv(
        [
            ["Tên doanh nghiệp", "Tỉnh"],
            [f"Xưởng Tỉnh Cũ Một {tag}", "Vinh Phuc"],
            [f"Xưởng Tỉnh Cũ Hai {tag}", "Vĩnh Phúc"],
        ]
    )
    admin = client_as("admin")
    resp = admin.post(
        "/imports/",
        data={"file": (io.BytesIO(data), "tinh-cu.csv")},
        content_type="multipart/form-data",
    )
    page = admin.get(resp.headers["Location"], headers={"Accept-Language": "vi"}).get_data(
        as_text=True
    )
    assert page.count("Vĩnh Phúc → Phú Thọ") == 1, page
    result = import_table(session, read_table(data))
    assert result.created == 2
    for name in (f"Xưởng Tỉnh Cũ Một {tag}", f"Xưởng Tỉnh Cũ Hai {tag}"):
        firm = session.scalar(select(Firm).where(Firm.name_vi == name))
        assert (firm.province.name_vi, firm.former_province.name_vi) == ("Phú Thọ", "Vĩnh Phúc")


def test_a_zone_written_into_the_address_is_the_firm_s_zone(session):
    """Surveys often have no zone column and write the zone into the address: a name of
    one of the province's zones after its kind's word is taken, nothing else."""
    from catalog.imports import zone_in_address
    from catalog.models import IndustrialZone, Province

    pt = session.scalar(select(Province).where(Province.code == "PT"))
    zones = {
        z.name: z.id
        for z in session.scalars(select(IndustrialZone).where(IndustrialZone.province_id == pt.id))
    }
    assert (
        zone_in_address(session, pt.id, "Lô B2, KCN Khai Quang, TP. Vĩnh Yên")
        == zones["Khai Quang"]
    )
    assert (
        zone_in_address(session, pt.id, "lo 5 kcn binh xuyen ii, vinh phuc")
        == zones["Bình Xuyên II"]
    )
    assert (
        zone_in_address(session, pt.id, "Khu công nghiệp Bình Xuyên, Vĩnh Phúc")
        == zones["Bình Xuyên"]
    )
    assert zone_in_address(session, pt.id, "Đường Khai Quang, Vĩnh Yên") is None  # a street
    hy = session.scalar(select(Province).where(Province.code == "HY"))
    assert zone_in_address(session, hy.id, "KCN Khai Quang") is None  # another province's
    assert zone_in_address(session, pt.id, "") is None
