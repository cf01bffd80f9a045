"""A province's first day, as the README tells its administrator to live it.

From an empty database (a new PostgreSQL database in the PostgreSQL pass): the
migrations alone, run by ``flask db upgrade`` in a process of its own, put the 2025 map
and the vocabulary in place, and running them again adds nothing; the administrator is
made with ``flask users create-admin``; through the web, the administrator adds an
officer of Phú Thọ, who chooses a password from the mailed link and imports the
province's survey, whose rows still say "Vĩnh Phúc" and "Vinh Yen", with sectors
holding commas and a process column. Then the walk goes on as the province's work does:
a buyer asks to be introduced to one of the imported firms, nobody at the firm has an
account, the officer is told and records the firm's consent taken by phone, the buyer is
told and sees the contact; the officer invites another firm, which claims its profile;
the quarterly report comes out as a document.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import openpyxl
from sqlalchemy import create_engine, func, select, text

from catalog.imports import guess_mapping
from catalog.models import (
    Concept,
    Firm,
    FormerProvince,
    Introduction,
    IntroductionStatus,
    Notification,
    Province,
    User,
)
from tests.conftest import (
    ROOT,
    TEST_DATABASE_URL,
    WORKER,
    _postgres_copy,
    app_of_its_own,
    fresh_tax_code,
    shared_embedding_cache,
    sqlalchemy_url,
)
from tests.factories import pdf_text
from webapp.extensions import db

PASSWORD = "mật khẩu đủ dài 2026"
HEADERS = [
    "STT",
    "Tên doanh nghiệp",
    "Mã số thuế",
    "Tỉnh/Thành phố",
    "Địa chỉ",
    "Ngành",
    "Công nghệ",
    "Sản phẩm",
    "Người liên hệ",
    "Điện thoại",
    "Email",
    "Ghi chú",
]


def _empty_database(tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        name = f"first_day_{WORKER or 'main'}_{uuid.uuid4().hex[:6]}"
        return sqlalchemy_url(_postgres_copy(TEST_DATABASE_URL, name, template="template0"))
    return f"sqlite:///{tmp_path / 'ketnoi.sqlite'}"


def _flask(data_dir: Path, database_url: str, *args: str, stdin: str = "") -> str:
    """``flask --app webapp …`` in a process of its own, as the administrator types it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KETNOI_DATA_DIR": str(data_dir),
        "KETNOI_PUBLIC_URL": "https://ketnoi.phutho.example.vn",
    }
    env.pop("REDIS_URL", None)
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "webapp", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def _reference_counts(database_url: str) -> tuple[int, ...]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        counts = tuple(
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("provinces", "former_provinces", "industrial_zones", "concepts")
        )
    engine.dispose()
    return counts


def _mails(data_dir: Path) -> list[email.message.EmailMessage]:
    outbox = data_dir / "outbox"
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime) if outbox.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def _link(data_dir: Path, to: str, path_start: str) -> str:
    """The path of the newest link to ``path_start…`` mailed to ``to``, checked to be on
    the configured public address."""
    for message in reversed(_mails(data_dir)):
        if to in str(message["To"]):
            found = re.search(
                r"https://ketnoi\.phutho\.example\.vn(" + re.escape(path_start) + r"\S+)",
                message.get_content(),
            )
            if found:
                return found.group(1)
    raise AssertionError(f"no mail to {to} with a link to {path_start}")


def _survey() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(
        [
            1,
            "Công ty TNHH Nhựa Khai Quang",
            fresh_tax_code(),
            "Vĩnh Phúc",
            "KCN Khai Quang, TP. Vĩnh Yên",
            "Linh kiện ô tô, xe máy; Nhựa và cao su",
            "Ép phun nhựa",
            "Vỏ nhựa PP, ABS cho linh kiện xe máy",
            "Trần Văn Bình",
            "0211 3 842 111",
            "binh@nhuakhaiquang.vn",
            "Khảo sát 2024",
        ]
    )
    sheet.append(
        [
            2,
            "Công ty CP Cơ khí Vĩnh Yên",
            fresh_tax_code(),
            "Vinh Yen",
            "Phường Liên Bảo",
            "Cơ khí chế tạo",
            "Gia công CNC",
            "Trục, bạc, chi tiết máy tiện phay CNC",
            "Lê Thị Hoa",
            "0211 3 861 222",
            "hoa@cokhivinhyen.vn",
            "",
        ]
    )
    sheet.append([3, "", "", "Vĩnh Phúc", "", "", "", "", "", "", "", "thiếu tên"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sign_in(client, address: str) -> None:
    answer = client.post("/account/login", data={"email": address, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]


def test_a_province_starts_from_an_empty_database_and_its_own_survey(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_url = _empty_database(tmp_path)

    # 1. `make serve` runs the migrations: the reference data is there, and only once.
    _flask(data_dir, database_url, "db", "upgrade")
    counts = _reference_counts(database_url)
    assert counts[:2] == (34, 63) and counts[2] >= 100 and counts[3] >= 500
    _flask(data_dir, database_url, "db", "upgrade")
    assert _reference_counts(database_url) == counts

    # 2. The administrator.
    admin_address = "quantri@sct.phutho.example.vn"
    out = _flask(
        data_dir,
        database_url,
        "users",
        "create-admin",
        admin_address,
        "--name",
        "Quản trị",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert admin_address in out

    overrides = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATA_DIR": str(data_dir),
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "CELERY": {"task_always_eager": True},
        "EMBEDDING_CACHE": str(shared_embedding_cache()),
        "PUBLIC_URL": "https://ketnoi.phutho.example.vn",
        "REDIS_URL": None,
        "MAIL_SERVER": None,
    }
    with app_of_its_own(overrides) as app:
        _walk(app, data_dir, admin_address)


def _walk(app, data_dir: Path, admin_address: str) -> None:
    # 3. The officers: the administrator adds Phú Thọ's, who chooses a password.
    admin = app.test_client()
    _sign_in(admin, admin_address)
    officer_address = "can.bo@sct.phutho.example.vn"
    added = admin.post(
        "/admin/users",
        data={
            "email": officer_address,
            "name": "Nguyễn Thị Lan",
            "role": "officer",
            "provinces": ["PT"],
        },
    )
    assert added.status_code == 302, added.get_data(as_text=True)[:800]
    officer = app.test_client()
    choose = _link(data_dir, officer_address, "/account/reset/")
    chosen = officer.post(choose, data={"password": PASSWORD, "password2": PASSWORD})
    assert chosen.status_code == 302
    _sign_in(officer, officer_address)

    # 4. The first survey, in Vietnamese, with the names of before 2025.
    officer.get("/lang/vi")
    uploaded = officer.post(
        "/imports/",
        data={"file": (io.BytesIO(_survey()), "khao-sat-vinh-phuc-2024.xlsx")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    preview_path = uploaded.headers["Location"]
    preview = officer.get(preview_path).get_data(as_text=True)
    assert "Vĩnh Phúc → Phú Thọ" in preview
    ignored = re.search(r'(?s)id="import-ignored"[^>]*>(.*?)</div>', preview)
    assert ignored and "STT" in ignored.group(1) and "Ghi chú" in ignored.group(1)
    mapping = guess_mapping(HEADERS)
    assert mapping["Công nghệ"] == "process" and "STT" not in mapping
    form = {f"map-{i}": mapping.get(h, "") for i, h in enumerate(HEADERS)}
    started = officer.post(preview_path, data={**form, "action": "import"})
    assert started.status_code == 302
    job_page = officer.get(started.headers["Location"]).get_data(as_text=True)
    assert "4" in job_page  # the bad row, by its row number in the file

    with app.app_context():
        s = db.session
        landed = {f.name_vi: f for f in s.scalars(select(Firm))}
        assert set(landed) == {"Công ty TNHH Nhựa Khai Quang", "Công ty CP Cơ khí Vĩnh Yên"}
        for firm in landed.values():
            assert firm.province.code == "PT"
            assert firm.former_province.code == "VP"
            assert firm.capabilities and all(c.process_id for c in firm.capabilities)
            assert firm.place_label("vi") == "Phú Thọ — Vĩnh Phúc cũ"
        plastics = landed["Công ty TNHH Nhựa Khai Quang"]
        assert plastics.zone.name == "Khai Quang"  # read from the address
        assert landed["Công ty CP Cơ khí Vĩnh Yên"].zone is None
        sectors = {c.id for c in plastics.sectors}
        assert {"sector.automotive_motorbike", "sector.plastics_rubber"} <= sectors
        machining = landed["Công ty CP Cơ khí Vĩnh Yên"]
        firm_users = select(func.count()).select_from(User).where(User.firm_id.is_not(None))
        assert s.scalar(firm_users) == 0
        assert s.get(Concept, "process.injection_molding") is not None
        assert s.scalar(select(func.count()).select_from(Province)) == 34
        assert s.scalar(select(func.count()).select_from(FormerProvince)) == 63
        plastics_id, machining_id = plastics.id, machining.id
        s.remove()
    history = officer.get("/imports/history").get_data(as_text=True)
    assert "khao-sat-vinh-phuc-2024.xlsx" in history

    # A buyer finds the imported firm for an English need and asks to be introduced.
    buyer = app.test_client()
    buyer.get("/lang/en")
    registered = buyer.post(
        "/account/register",
        data={
            "firm_role": "buyer",
            "firm_name": "Kyoto Moto Parts Vietnam Co., Ltd.",
            "province": "Phú Thọ",
            "tax_code": fresh_tax_code(),
            "name": "Tanaka Hiroshi",
            "email": "purchasing@kyotomoto.example.jp",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert registered.status_code == 302, registered.get_data(as_text=True)[:800]
    posted = buyer.post(
        "/needs/new",
        data={
            "title": "Injection moulded PP covers for motorbike parts",
            "description": "PP and ABS plastic covers, injection moulding, 20k pcs/year",
            "quantity_per_year": "20000",
        },
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:800]
    need_path = posted.headers["Location"]
    need_page = buyer.get(need_path).get_data(as_text=True)
    assert "Công ty TNHH Nhựa Khai Quang" in need_page
    assert "binh@nhuakhaiquang.vn" not in need_page  # no contact before consent
    asked = buyer.post(f"{need_path}/introductions", data={"firm_id": str(plastics_id)})
    assert asked.status_code == 302

    # Nobody at the firm has an account: the province's officer is told.
    with app.app_context():
        intro = db.session.scalar(select(Introduction))
        assert intro.status == IntroductionStatus.REQUESTED
        intro_id = intro.id
        officer_id = db.session.scalar(select(User.id).where(User.email == officer_address))
        told = db.session.scalars(select(Notification).where(Notification.user_id == officer_id))
        assert sorted(n.kind for n in told) == ["import.finished", "introduction.no_user"]
        db.session.remove()
    assert any(officer_address in str(m["To"]) for m in _mails(data_dir)[-3:])
    listed = officer.get("/notifications/").get_data(as_text=True)
    assert "Kyoto Moto Parts Vietnam" in listed

    # The officer calls the firm and records its consent on its behalf.
    assert officer.get(f"/introductions/{intro_id}/consent").status_code == 200
    recorded = officer.post(
        f"/introductions/{intro_id}/consent",
        data={
            "consent_by": "Trần Văn Bình, giám đốc",
            "consent_method": "phone",
            "consent_note": "Đồng ý gặp bên mua trong tháng 12",
        },
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)[:800]

    # The buyer is told and sees the contact where they work.
    header = buyer.get("/introductions/").get_data(as_text=True)
    assert "binh@nhuakhaiquang.vn" in header and "Trần Văn Bình" in header
    assert "binh@nhuakhaiquang.vn" in buyer.get(need_path).get_data(as_text=True)
    buyer_mail = [m for m in _mails(data_dir) if "purchasing@kyotomoto" in str(m["To"])]
    assert buyer_mail, "the buyer was not mailed"

    # The officer invites the other firm, which claims its profile.
    invited = officer.post(
        f"/firms/{machining_id}/claim-invitation",
        data={"email": "hoa@cokhivinhyen.vn", "locale": "vi"},
    )
    assert invited.status_code == 302, invited.get_data(as_text=True)[:800]
    claim_path = _link(data_dir, "hoa@cokhivinhyen.vn", "/claim/")
    invitee = app.test_client()
    claimed = invitee.post(
        claim_path,
        data={"name": "Lê Thị Hoa", "password": PASSWORD, "password2": PASSWORD, "locale": "vi"},
    )
    assert claimed.status_code == 302
    assert invitee.get(f"/firms/{machining_id}/edit").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "hoa@cokhivinhyen.vn"))
        assert user.firm_id == machining_id
        db.session.remove()

    # The quarterly report, as a document in the officer's language.
    queued = officer.post("/dashboard/reports?province=PT")
    assert queued.status_code == 302
    dashboard = officer.get(queued.headers["Location"]).get_data(as_text=True)
    report_id = dashboard.split('data-status="/dashboard/reports/')[1].split(".json")[0]
    pdf = officer.get(f"/dashboard/reports/{report_id}.pdf").data
    assert pdf.startswith(b"%PDF")
    words = " ".join(pdf_text(pdf).split())
    assert "SỞ CÔNG THƯƠNG" in words and "BÁO CÁO" in words and "Phú Thọ" in words
    assert "Vĩnh Phúc" in words  # the former province, as a region of the merged one
