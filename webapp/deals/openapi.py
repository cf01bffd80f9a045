"""The OpenAPI entries of the deal endpoints (``webapp.deals.api``), merged into the
document by ``webapp.openapi.build``: ``OPERATIONS`` (one per endpoint, keyed by its
view's name) and ``SCHEMAS`` (the request and response bodies they name)."""

from __future__ import annotations

from typing import Any

from catalog.deals.comparison import SORTS as COMPARE_SORTS
from catalog.files import ATTACHMENTS
from catalog.models import CloseReason, QuoteStatus, Side, Stage
from catalog.schemas import nullable

from ..openapi import (
    BOOLEAN,
    DATE,
    ID,
    NUMBER,
    PAGING,
    STRING,
    TIMESTAMP,
    Operation,
    _page,
    array,
    enum,
    obj,
    query,
    ref,
    text,
    whole,
)

OPERATIONS: dict[str, Operation] = {}
SCHEMAS: dict[str, dict[str, Any]] = {}


# -- answers to needs, deals and their conversations ----------------------------


_CURRENCIES = ["VND", "USD", "JPY", "KRW", "CNY", "EUR", "TWD", "THB"]
SCHEMAS["DealFile"] = obj(
    {"id": ID, "filename": STRING, "content_type": STRING, "size": whole(0, 2**31 - 1)}
)
SCHEMAS["DealStep"] = obj(
    {
        "stage": enum([s.value for s in Stage]),
        "reached_on": DATE,
        "source": STRING,
        "ppap_level": nullable(whole(1, 5)),
        "first_article": BOOLEAN,
        "close_reason": nullable(STRING),
    }
)
SCHEMAS["Deal"] = obj(
    {
        "id": ID,
        "need_id": nullable({**ID, "description": "null when the caller may not read the need."}),
        "supplier_id": ID,
        "buyer_id": ID,
        "stage": enum([s.value for s in Stage]),
        "stage_on": DATE,
        "closed_reason": nullable(STRING),
        "match_score": nullable(NUMBER),
        "officers_asked": BOOLEAN,
        "steps": array(ref("DealStep")),
    }
)
SCHEMAS["DealPage"] = _page(ref("Deal"))
SCHEMAS["DealMessage"] = obj(
    {
        "id": ID,
        "side": enum([s.value for s in Side]),
        "kind": enum(["message", "interest"]),
        "body": STRING,
        "created_at": nullable(TIMESTAMP),
        "files": array(ref("DealFile")),
    }
)
SCHEMAS["Quote"] = obj(
    {
        "id": ID,
        "deal_id": ID,
        "request_id": nullable(ID),
        "unit_price": {**STRING, "description": "A decimal number, as text (exact)."},
        "currency": enum(_CURRENCIES),
        "unit_price_vnd": nullable(
            {
                "type": "integer",
                "description": "The unit price in đồng at an indicative reference rate, "
                "only to sort offers in several currencies; null for an unknown currency.",
            }
        ),
        "min_order_qty": nullable(whole(1, 1_000_000_000)),
        "lead_time_days": nullable(whole(0, 3650)),
        "capacity_per_month": nullable(whole(1, 1_000_000_000)),
        "valid_until": nullable(DATE),
        "note": STRING,
        "status": enum([s.value for s in QuoteStatus]),
        "capability_ids": array(ID),
        "certification_ids": array(ID),
        "files": array(ref("DealFile")),
        "created_at": nullable(TIMESTAMP),
    }
)
SCHEMAS["DealDetail"] = {
    "allOf": [
        ref("Deal"),
        obj(
            {
                "messages": array(ref("DealMessage")),
                "quotes": array(ref("Quote")),
                "need_files": array(
                    ref("DealFile"),
                    description="The need's drawings sent with a request for quotation "
                    "(to a supplier once it accepted the agreement, if there is one).",
                ),
            }
        ),
    ]
}
SCHEMAS["QuoteCreate"] = obj(
    {
        "unit_price": {
            "oneOf": [{**NUMBER, "minimum": 0, "exclusiveMinimum": True}, STRING],
            "description": "Greater than zero; at most four decimals.",
        },
        "currency": {**enum(_CURRENCIES), "default": "VND"},
        "min_order_qty": whole(1, 1_000_000_000),
        "lead_time_days": whole(0, 3650),
        "capacity_per_month": whole(1, 1_000_000_000),
        "valid_until": {**DATE, "description": "Not in the past."},
        "capability_ids": array(ID, description="Capabilities of the supplier's own firm."),
        "certification_ids": array(ID, description="Certifications of the supplier's own firm."),
        "note": text(4000),
    },
    required=["unit_price"],
)
SCHEMAS["DealAnswer"] = obj(
    {
        "message": {**text(4000), "description": "Interest, with a short message."},
        "quote": ref("QuoteCreate"),
    },
    required=[],
)
SCHEMAS["DealMessageCreate"] = obj({"body": {**text(4000), "minLength": 1}})

OPERATIONS["deals_list"] = Operation(
    "The deals the caller may read (its firm's, or those officers were asked into)",
    "deals",
    response="DealPage",
    query=PAGING,
    validates=True,
)
OPERATIONS["deal_show"] = Operation(
    "A deal with its stages, conversation and quotations", "deals", response="DealDetail"
)
OPERATIONS["deal_answer"] = Operation(
    "Answer an open need: interest with a message, or a quotation, with files or without",
    "deals",
    201,
    "DealDetail",
    "DealAnswer",
    validates=True,
    files=True,
)
OPERATIONS["deal_post_message"] = Operation(
    "Write in a deal's conversation, with files or without (the other side is told)",
    "deals",
    201,
    "DealMessage",
    "DealMessageCreate",
    validates=True,
    files=True,
)
OPERATIONS["deal_file"] = Operation(
    "Download a file of a deal or of a need's request for quotation",
    "deals",
    download=ATTACHMENTS,
)


# -- The funnel (webapp.deals.api.funnel_show) -----------------------------------------


_FUNNEL_GROUP = obj(
    {
        "key": nullable(STRING),
        "name_vi": STRING,
        "name_en": STRING,
        "needs": nullable(whole(0, 2**31)),
        "answered": whole(0, 2**31),
        "quoted": whole(0, 2**31),
        "sample_approved": whole(0, 2**31),
        "ordered": whole(0, 2**31),
        "first_orders": whole(0, 2**31),
        "value_vnd": whole(0, 2**62),
    }
)
SCHEMAS["Funnel"] = obj(
    {
        "province": nullable(STRING),
        "from": STRING,
        "to": STRING,
        "as_of": STRING,
        "sector": nullable(STRING),
        "former_province": nullable(STRING),
        "needs_posted": whole(0, 2**31),
        "needs_counted": whole(0, 2**31),
        "needs_answered": whole(0, 2**31),
        "quotes_received": whole(0, 2**31),
        "samples_ordered": whole(0, 2**31),
        "samples_approved": whole(0, 2**31),
        "first_orders": whole(0, 2**31),
        "first_order_value_vnd": whole(0, 2**62),
        "median_days_to_order": nullable(NUMBER),
        "deals_from_meetings": whole(0, 2**31),
        "stall_days": whole(1, 3650),
        "stages": array(
            obj(
                {
                    "stage": STRING,
                    "needs": whole(0, 2**31),
                    "deals": whole(0, 2**31),
                    "local_needs": whole(0, 2**31),
                    "local_deals": whole(0, 2**31),
                    "local_share": nullable(NUMBER),
                }
            )
        ),
        "orders": array(
            obj(
                {
                    "deal_id": ID,
                    "need_id": ID,
                    "buyer_id": ID,
                    "supplier_id": ID,
                    "local": BOOLEAN,
                    "ordered_on": STRING,
                    "value_vnd": nullable(whole(0, 2**62)),
                    "days_from_match": whole(0, 2**31),
                }
            )
        ),
        "by_sector": array(_FUNNEL_GROUP),
        "by_former_province": array(_FUNNEL_GROUP),
        "stalled": array(
            obj(
                {
                    "need_id": ID,
                    "buyer_id": ID,
                    "stage": nullable(STRING),
                    "since": STRING,
                    "days": whole(0, 2**31),
                }
            )
        ),
    }
)
OPERATIONS["funnel_show"] = Operation(
    "The funnel from a match to the first orders of a province's buyers "
    "(officers: their provinces; admins: all)",
    "dashboard",
    response="Funnel",
    query=[
        query("from", text(10), "first day, YYYY-MM-DD (default: the current quarter's)"),
        query("to", text(10), "last day, YYYY-MM-DD (default: the current quarter's)"),
        query("province", text(8), "a province code (an officer's own provinces only)"),
        query("sector", text(80), "a sector concept id, e.g. sector.electronics"),
        query("former_province", text(8), "suppliers of one former province (its code)"),
        query("stall_days", whole(1, 3650), "days without a move before a need has stalled"),
    ],
    validates=True,
    extra={"403": "a province outside the officer's"},
)


# -- the comparison of quotations and requests for quotation ---------------------


_REASONS = [r.value for r in CloseReason]
SCHEMAS["ComparisonRow"] = obj(
    {
        "deal_id": ID,
        "quote_id": nullable(ID),
        "supplier_id": ID,
        "supplier": STRING,
        "verified": {
            **BOOLEAN,
            "description": "Verified by the province, or a standing officer's check of a "
            "capability or certificate the quote rests on.",
        },
        "status": nullable(enum(["submitted", "shortlisted", "declined"])),
        "unit_price": nullable({**STRING, "description": "A decimal number, as text."}),
        "currency": nullable(STRING),
        "unit_price_vnd": nullable({"type": "integer"}),
        "min_order_qty": nullable({"type": "integer"}),
        "lead_time_days": nullable({"type": "integer"}),
        "capacity_per_month": nullable({"type": "integer"}),
        "needed_per_month": nullable(
            {"type": "integer", "description": "The need's quantity per year / 12."}
        ),
        "capacity_ok": nullable(BOOLEAN),
        "valid_until": nullable(DATE),
        "expired": BOOLEAN,
        "certificates": array(
            obj(
                {
                    "standard": STRING,
                    "valid_until": nullable(DATE),
                    "valid": BOOLEAN,
                    "verified": BOOLEAN,
                }
            )
        ),
        "distance_km": nullable(
            {"type": "integer", "description": "From the supplier's province to delivery."}
        ),
        "match_score": nullable(NUMBER),
        "stage": enum([s.value for s in Stage]),
        "decline_reason": nullable(enum(_REASONS)),
    }
)
SCHEMAS["Comparison"] = obj({"items": array(ref("ComparisonRow"))})
SCHEMAS["QuoteDecided"] = {
    "allOf": [
        ref("Quote"),
        obj({"decline_reason": nullable(enum(_REASONS)), "decline_note": STRING}),
    ]
}
SCHEMAS["QuoteDecline"] = obj(
    {"reason": enum(_REASONS), "note": text(1000)},
    required=["reason"],
)
SCHEMAS["QuoteRequestRecipient"] = obj(
    {
        "id": ID,
        "request_id": ID,
        "supplier_id": ID,
        "deal_id": ID,
        "deadline": DATE,
        "nda": BOOLEAN,
        "nda_accepted_at": nullable(TIMESTAMP),
    }
)
SCHEMAS["QuoteRequest"] = obj(
    {
        "id": ID,
        "need_id": ID,
        "deadline": DATE,
        "nda": BOOLEAN,
        "recipients": array(ref("QuoteRequestRecipient")),
    }
)
SCHEMAS["QuoteRequestCreate"] = obj(
    {
        "firm_ids": array(ID, minItems=1, maxItems=30),
        "deadline": {**DATE, "description": "Today or later, within a year."},
        "message": text(4000),
        "nda_text": {
            **text(20000),
            "description": "A non-disclosure agreement each supplier must accept before "
            "it opens the need's files; empty for none.",
        },
    },
    required=["firm_ids", "deadline"],
)
OPERATIONS["quotes_compare"] = Operation(
    "The answers to a need side by side (quotations, and interest without a price)",
    "quotes",
    response="Comparison",
    query=[query("sort", {**enum(list(COMPARE_SORTS)), "default": "price"})],
    validates=True,
)
OPERATIONS["quotes_shortlist"] = Operation(
    "Shortlist a quotation (and its supplier for the need)",
    "quotes",
    response="QuoteDecided",
    validates=True,
    extra={"422": "The quotation was withdrawn or superseded."},
)
OPERATIONS["quotes_decline"] = Operation(
    "Decline a quotation with a reason; the supplier is told (the deal stays open)",
    "quotes",
    response="QuoteDecided",
    body="QuoteDecline",
    validates=True,
)
OPERATIONS["rfq_create"] = Operation(
    "Ask suppliers to quote on a need by a deadline, with the need's drawings or without",
    "quotes",
    201,
    "QuoteRequest",
    "QuoteRequestCreate",
    validates=True,
    files=True,
)
OPERATIONS["rfq_accept_nda"] = Operation(
    "Accept a request's non-disclosure agreement (its supplier's users)",
    "quotes",
    response="QuoteRequestRecipient",
    validates=True,
    extra={"422": "The request has no non-disclosure agreement."},
)


# -- the pipeline, purchase orders, closing, ratings ----------------------------

_SCORE = whole(1, 5)
SCHEMAS["DealStageCreate"] = obj(
    {
        "stage": enum(["met", "sample_ordered", "sample_approved"]),
        "reached_on": {**DATE, "description": "Today when left out; never in the future."},
        "note": text(1000),
        "ppap_level": nullable(whole(1, 5)),
        "first_article": BOOLEAN,
    },
    required=["stage"],
)
SCHEMAS["PurchaseOrderCreate"] = obj(
    {
        "ordered_on": {**DATE, "description": "Today when left out; never in the future."},
        "value": {
            "oneOf": [{**NUMBER, "minimum": 0}, STRING],
            "nullable": True,
            "description": "Zero or more, optional; at most two decimals are kept.",
        },
        "currency": {**STRING, "pattern": "^[A-Za-z]{3}$", "description": "VND by default."},
        "reference": text(60),
        "part_families": array(
            {**STRING, "description": "A concept id of kind part_family."},
            description="None: the part families the need names.",
        ),
    },
    required=[],
)
SCHEMAS["PurchaseOrder"] = obj(
    {
        "id": ID,
        "deal_id": ID,
        "ordered_on": DATE,
        "reference": STRING,
        "value": nullable({**STRING, "description": "A decimal number, as text (exact)."}),
        "currency": STRING,
        "value_vnd": nullable(
            {
                "type": "integer",
                "description": "The value in đồng (at the indicative reference rate of "
                "quotations for another currency; null when it has none).",
            }
        ),
        "part_families": array(STRING),
        "stage": enum([s.value for s in Stage]),
    }
)
SCHEMAS["DealClose"] = obj(
    {"reason": enum([r.value for r in CloseReason]), "note": text(1000)}, required=["reason"]
)
SCHEMAS["SupplierRatingCreate"] = obj(
    {
        "quality": _SCORE,
        "on_time": _SCORE,
        "communication": _SCORE,
        "ppm": nullable({**NUMBER, "minimum": 0}),
        "on_time_pct": nullable({**NUMBER, "minimum": 0, "maximum": 100}),
        "comment": text(2000),
    },
    required=["quality", "on_time", "communication"],
)
SCHEMAS["SupplierRating"] = obj(
    {
        "id": ID,
        "deal_id": ID,
        "supplier_id": ID,
        "buyer_id": ID,
        "quality": _SCORE,
        "on_time": _SCORE,
        "communication": _SCORE,
        "ppm": nullable(NUMBER),
        "on_time_pct": nullable(NUMBER),
        "comment": STRING,
    }
)
SCHEMAS["RatingAggregate"] = obj(
    {
        "supplier_id": ID,
        "buyers": whole(0, 2**31),
        "mean": nullable(NUMBER),
        "quality": nullable(NUMBER),
        "on_time": nullable(NUMBER),
        "communication": nullable(NUMBER),
        "ppm": nullable(NUMBER),
        "on_time_pct": nullable(NUMBER),
    }
)
SCHEMAS["FirmRating"] = obj(
    {
        "visible": enum(["all", "aggregate", "none"]),
        "min_buyers": whole(1, 100),
        "aggregate": nullable(ref("RatingAggregate")),
        "ratings": array(ref("SupplierRating")),
    }
)

OPERATIONS["pipeline_stage"] = Operation(
    "Record a stage of a deal (met, sample ordered, sample approved)",
    "deals",
    response="Deal",
    body="DealStageCreate",
    validates=True,
)
OPERATIONS["pipeline_order"] = Operation(
    "Record a purchase order on a deal (the first, or a repeat order)",
    "deals",
    201,
    "PurchaseOrder",
    "PurchaseOrderCreate",
    validates=True,
)
OPERATIONS["pipeline_close"] = Operation(
    "Close a deal with a reason", "deals", response="Deal", body="DealClose", validates=True
)
OPERATIONS["pipeline_rate"] = Operation(
    "Rate the supplier's deliveries on a deal (after a purchase order)",
    "deals",
    201,
    "SupplierRating",
    "SupplierRatingCreate",
    validates=True,
)
OPERATIONS["pipeline_firm_rating"] = Operation(
    "What the caller may see of a supplier's ratings", "firms", response="FirmRating"
)
