"""Builders for records that tests create on top of the demo catalog."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from catalog import services
from catalog.models import Firm, Need
from tests.conftest import fresh_tax_code


def make_supplier(session, name: str, capabilities: list[dict], **fields) -> Firm:
    data = {
        "role": "supplier",
        "name_vi": name,
        "tax_code": fresh_tax_code(),
        "province": fields.pop("province", "VP"),
        **fields,
    }
    firm = services.create_firm(session, data)
    for cap in capabilities:
        services.add_capability(session, firm, cap)
    return firm


def make_buyer(session, name: str = "Testbuyer Vina Co., Ltd") -> Firm:
    return services.create_firm(
        session,
        {
            "role": "buyer",
            "name_vi": name,
            "name_en": name,
            "tax_code": fresh_tax_code(),
            "province": "HY",
            "ownership": "fdi",
        },
    )


def make_need(session, buyer: Firm, **fields) -> Need:
    return services.create_need(session, buyer, fields)


def png_bytes(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (2, 2)) -> bytes:
    """A real (tiny) PNG: uploads are decoded whole, so a signature and zeros no longer
    pass. Saved as the service re-encodes photos, so a stored photo keeps these bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as poppler extracts it (``make test`` installs poppler-utils)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def make_surveyed_firm(session, name: str, contact: str, email: str, **extra) -> Firm:
    """A supplier as a survey import leaves it: the survey's contact, no user acting
    for it, in former Vĩnh Phúc (Phú Thọ); not indexed (the tests read no matches)."""
    from jobs.sync import index_sync_paused

    with index_sync_paused(session):
        return services.create_firm(
            session,
            {
                "role": "supplier",
                "name_vi": name,
                "tax_code": fresh_tax_code(),
                "province": "VP",
                "contact_name": contact,
                "contact_email": email,
                **extra,
            },
        )
