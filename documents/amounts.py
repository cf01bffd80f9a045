"""Amounts of money as the provinces' documents write them: in million đồng.

The programmes' budget tables (Hưng Yên's appendix, "Kinh phí (triệu đồng)"; Thái
Nguyên §IV) count in millions, while the catalogue keeps whole đồng. A ``Million`` is
an amount already divided, marked so that each format writes it its own way: the PDF
in the reader's number format (``documents.report``), the workbook as a number with
as many decimals as it has (``documents.xlsx``), so the sheet can still be summed.
"""

from __future__ import annotations

from decimal import Decimal

# Up to three decimals: a thousand đồng, the smallest step budgets are written in.
PDF_PATTERN = "#,##0.###"
WHOLE_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0##"


class Million(float):
    """An amount in million VND (the value is the amount in đồng / 1,000,000)."""

    @property
    def whole(self) -> bool:
        return float(self).is_integer()


def million(vnd: int | None) -> Million | None:
    """``vnd`` whole đồng as millions (None stays None: no amount is not a zero)."""
    if vnd is None:
        return None
    return Million(Decimal(vnd) / Decimal(1_000_000))


def xlsx_format(value: Million) -> str:
    """The workbook's number format for ``value``: no decimal point for whole millions."""
    return WHOLE_FORMAT if value.whole else DECIMAL_FORMAT
