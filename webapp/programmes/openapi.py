"""The OpenAPI entries of the programme endpoints (``webapp.programmes.api``), merged
into the document by ``webapp.openapi.build``: ``OPERATIONS`` (one per endpoint, keyed by
its view's name) and ``SCHEMAS`` (the request and response bodies they name).

The limits are those ``catalog.programmes.setup`` and ``applications`` check: money in
whole đồng up to ``setup.MAX_VND``, years 2000-2100 (a line's within its programme's),
ids within a PostgreSQL integer."""

from __future__ import annotations

from typing import Any

from catalog.files import ATTACHMENTS
from catalog.models import (
    ApplicationStatus,
    FirmSize,
    FundingSource,
    LineStatus,
    SupportKind,
    TargetMeasure,
)
from catalog.programmes.applications import Decision
from catalog.programmes.setup import FIRST_YEAR, LAST_YEAR, MAX_VND
from catalog.schemas import nullable
from catalog.validation import MAX_ID

from ..openapi import (
    BOOLEAN,
    DATE,
    PAGING,
    STRING,
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

ID = whole(1, MAX_ID)
COUNT = whole(0, 2**31 - 1)
YEAR = whole(FIRST_YEAR, LAST_YEAR)
VND = {**whole(0, 2**63 - 1), "description": "Whole đồng."}
SUM_VND = {**whole(0, 2**63 - 1), "description": "Whole đồng, summed."}


def _values(enum_cls: type) -> list[str]:
    return [m.value for m in enum_cls]


KIND = enum(_values(SupportKind))
SOURCE = enum(_values(FundingSource))
MEASURE = enum(_values(TargetMeasure))


# -- programmes and lines ---------------------------------------------------------------

SCHEMAS["SupportLineBrief"] = obj(
    {"id": ID, "kind": KIND, "name": STRING, "status": enum(_values(LineStatus))}
)
SCHEMAS["Programme"] = obj(
    {
        "id": ID,
        "province_id": ID,
        "province": {**STRING, "description": "The province's code, e.g. `PT`."},
        "name": STRING,
        "legal_basis": STRING,
        "description": STRING,
        "start_year": YEAR,
        "end_year": YEAR,
        "lines": array(ref("SupportLineBrief")),
    }
)
SCHEMAS["ProgrammePage"] = _page(ref("Programme"))
SCHEMAS["SupportLine"] = obj(
    {
        "id": ID,
        "programme_id": ID,
        "kind": KIND,
        "name": STRING,
        "description": STRING,
        "share_pct": {**whole(1, 100), "description": "The part of a firm's cost it pays."},
        "ceiling_vnd": nullable({**VND, "description": "The most it pays one firm."}),
        "status": enum(_values(LineStatus)),
        "standards": array(STRING, description="The certificates it helps obtain."),
        "eligibility": obj(
            {
                "sizes": array(enum(_values(FirmSize)), description="Empty: any size."),
                "sectors": array(STRING, description="Sector concept ids; empty: any."),
                "processes": array(STRING, description="Process concept ids it teaches."),
                "former_province_id": nullable(ID),
                "former_province": nullable(
                    {**STRING, "description": "Only firms of this former province (code)."}
                ),
            }
        ),
        "budgets": array(obj({"year": YEAR, "source": SOURCE, "planned_vnd": VND})),
        "targets": array(
            obj(
                {
                    "id": ID,
                    "measure": MEASURE,
                    "value": whole(1, 10**9),
                    "year": nullable({**YEAR, "description": "null: the whole period."}),
                }
            )
        ),
        "eligible": nullable(
            {**BOOLEAN, "description": "Whether the caller's firm may receive it (null: no firm)."}
        ),
        "ineligible_reasons": array(STRING, description="Why not, in the caller's language."),
    }
)
SCHEMAS["SupportLineFigures"] = obj(
    {
        "line_id": ID,
        "applications": COUNT,
        "approved": {**COUNT, "description": "Approved or completed."},
        "planned": array(obj({"year": YEAR, "source": SOURCE, "amount_vnd": SUM_VND})),
        "committed": array(
            obj({"year": {"type": "integer"}, "amount_vnd": SUM_VND}),
            description="Amounts approved, by the year of the decision.",
        ),
        "disbursed": array(
            obj({"year": {"type": "integer"}, "source": SOURCE, "amount_vnd": SUM_VND})
        ),
        "planned_vnd": SUM_VND,
        "committed_vnd": SUM_VND,
        "disbursed_vnd": SUM_VND,
        "targets": array(
            obj(
                {
                    "id": ID,
                    "measure": MEASURE,
                    "value": whole(1, 10**9),
                    "year": nullable(YEAR),
                    "actual": {**whole(0, 2**63 - 1), "description": "Counted so far."},
                }
            )
        ),
    }
)
SCHEMAS["ProgrammeDetail"] = obj(
    {
        **SCHEMAS["Programme"]["properties"],
        "lines": array(ref("SupportLine")),
        "figures": nullable(
            array(
                ref("SupportLineFigures"),
                description="Per line, for the officers who may manage the programme; "
                "null for everyone else.",
            )
        ),
    }
)
SCHEMAS["ProgrammeCreate"] = obj(
    {
        "name": {**text(300), "minLength": 1},
        "legal_basis": {
            **text(500),
            "description": "The decision, e.g. `Quyết định 1234/QĐ-UBND`.",
        },
        "description": text(5000),
        "start_year": YEAR,
        "end_year": {**YEAR, "description": "Not before `start_year`."},
        "province_id": nullable(
            {**ID, "description": "A province the officer serves; one of one may leave it out."}
        ),
        "province": {**text(100), "description": "Or the province by code or name."},
    },
    required=["name", "start_year", "end_year"],
)
_BUDGET_IN = obj(
    {
        "year": {**YEAR, "description": "Within the programme's period."},
        "source": SOURCE,
        "planned_vnd": whole(0, MAX_VND),
    }
)
_TARGET_IN = obj(
    {
        "measure": MEASURE,
        "value": whole(1, 10**9),
        "year": nullable({**YEAR, "description": "Within the period; null: all of it."}),
    },
    required=["measure", "value"],
)
_LINE_FIELDS: dict[str, Any] = {
    "kind": KIND,
    "name": {**text(300), "minLength": 1},
    "description": text(5000),
    "share_pct": whole(1, 100),
    "ceiling_vnd": nullable(whole(0, MAX_VND)),
    "sizes": array(enum(_values(FirmSize))),
    "sectors": array(STRING, description="Sector concept ids or names.", maxItems=50),
    "processes": array(STRING, description="Process concept ids or names.", maxItems=50),
    "standards": array(text(40), description="e.g. `ISO 9001`.", maxItems=50),
    "former_province_id": nullable({**ID, "description": "A former province of this one."}),
    "status": enum(_values(LineStatus)),
    "budgets": array(_BUDGET_IN, description="One per year and source; replaces the line's."),
    "targets": array(_TARGET_IN, description="Replaces the line's."),
}
SCHEMAS["SupportLineCreate"] = obj(_LINE_FIELDS, required=["kind", "name", "share_pct"])
SCHEMAS["SupportLineUpdate"] = {
    **obj(_LINE_FIELDS, required=[]),
    "description": "Fields left out keep their values.",
}

OPERATIONS["programmes_list"] = Operation(
    "A province's support programmes, or every province's",
    "programmes",
    response="ProgrammePage",
    query=[*PAGING, query("province", text(100), "A province code, e.g. `PT`, or its name.")],
    validates=True,
)
OPERATIONS["programme_show"] = Operation(
    "A programme with its lines, budgets and targets (figures for its officers)",
    "programmes",
    response="ProgrammeDetail",
)
OPERATIONS["programme_create"] = Operation(
    "Set up a programme of a province the officer serves",
    "programmes",
    201,
    "ProgrammeDetail",
    "ProgrammeCreate",
    validates=True,
)
OPERATIONS["programme_line_create"] = Operation(
    "Add a support line with its budgets and targets",
    "programmes",
    201,
    "SupportLine",
    "SupportLineCreate",
    validates=True,
)
OPERATIONS["support_line_update"] = Operation(
    "Change a support line (close it, change its budgets …)",
    "programmes",
    response="SupportLine",
    body="SupportLineUpdate",
    validates=True,
)


# -- applications ---------------------------------------------------------------------

SCHEMAS["SupportFile"] = obj(
    {
        "id": ID,
        "role": enum(["application", "evidence"]),
        "filename": STRING,
        "content_type": STRING,
        "size": COUNT,
    }
)
SCHEMAS["SupportDisbursement"] = obj(
    {"id": ID, "paid_on": DATE, "amount_vnd": VND, "source": SOURCE, "note": STRING}
)
SCHEMAS["SupportApplication"] = obj(
    {
        "id": ID,
        "line_id": ID,
        "line_name": STRING,
        "kind": KIND,
        "programme_id": ID,
        "firm_id": ID,
        "firm_name": STRING,
        "source": {
            **enum(["application", "recorded"]),
            "description": "`recorded`: support an officer gave outside the flow.",
        },
        "status": enum(_values(ApplicationStatus)),
        "purpose": STRING,
        "gap": STRING,
        "cost_vnd": nullable(VND),
        "requested_vnd": nullable(VND),
        "most_vnd": nullable(
            {**VND, "description": "The most the line pays: its share of the cost, capped."}
        ),
        "applied_on": DATE,
        "score": nullable(whole(0, 100)),
        "criteria": STRING,
        "comments": STRING,
        "approved_vnd": nullable(VND),
        "reject_reason": STRING,
        "decided_on": nullable(DATE),
        "disbursed_vnd": SUM_VND,
        "disbursements": array(ref("SupportDisbursement")),
        "completed_on": nullable(DATE),
        "result_note": STRING,
        "workers_trained": nullable(whole(1, 100_000)),
        "certification_id": nullable(
            {**ID, "description": "The firm's certification the support obtained."}
        ),
        "event_id": nullable(ID),
        "files": array(ref("SupportFile")),
    }
)
SCHEMAS["SupportApplicationPage"] = _page(ref("SupportApplication"))
_AMOUNT = whole(1, MAX_VND)
SCHEMAS["SupportApplicationCreate"] = obj(
    {
        "purpose": {**text(5000), "minLength": 1},
        "gap": {**text(120), "description": "What it would close, e.g. `certification:ISO 9001`."},
        "cost_vnd": nullable(_AMOUNT),
        "requested_vnd": {
            **_AMOUNT,
            "description": "At most the line's share of the cost, within its ceiling.",
        },
    },
    required=["purpose", "requested_vnd"],
)
SCHEMAS["SupportGivenCreate"] = obj(
    {
        "firm_id": {**ID, "description": "A firm of the programme's province."},
        "purpose": {**text(5000), "minLength": 1},
        "cost_vnd": nullable(_AMOUNT),
        "approved_vnd": nullable({**whole(0, MAX_VND), "description": "0: free support."}),
        "given_on": {**DATE, "description": "Today when left out."},
    },
    required=["firm_id", "purpose"],
)
SCHEMAS["SupportDecision"] = obj(
    {
        "decision": enum(_values(Decision)),
        "score": nullable(whole(0, 100)),
        "criteria": text(5000),
        "comments": text(5000),
        "approved_vnd": nullable(
            {**_AMOUNT, "description": "Default: the amount requested; within the line's bounds."}
        ),
        "reason": {**text(1000), "description": "Required to reject."},
    },
    required=["decision"],
)
SCHEMAS["SupportDisbursementCreate"] = obj(
    {
        "amount_vnd": {**_AMOUNT, "description": "At most what is left of the approved amount."},
        "paid_on": {**DATE, "description": "Today when left out; never in the future."},
        "source": {**SOURCE, "default": FundingSource.PROVINCIAL.value},
        "note": text(1000),
    },
    required=["amount_vnd"],
)
SCHEMAS["SupportCompletion"] = obj(
    {
        "result_note": {**text(5000), "minLength": 1},
        "completed_on": {**DATE, "description": "Today when left out; never in the future."},
        "workers_trained": nullable(
            {**whole(1, 100_000), "description": "Required on a training line."}
        ),
        "standard": {
            **text(40),
            "description": "The certificate obtained (required on a management-system "
            "line); it becomes the firm's certification.",
        },
        "issuer": text(120),
        "certificate_no": text(60),
        "valid_until": DATE,
        "event_id": nullable({**ID, "description": "The fair attended."}),
    },
    required=["result_note"],
)

OPERATIONS["support_apply"] = Operation(
    "Apply to a support line for the caller's firm, with files or without",
    "support",
    201,
    "SupportApplication",
    "SupportApplicationCreate",
    validates=True,
    files=True,
    extra={"422": "Invalid input, or the line does not accept the firm (field `line`)."},
)
OPERATIONS["support_given"] = Operation(
    "Record support given to a firm outside the application flow",
    "support",
    201,
    "SupportApplication",
    "SupportGivenCreate",
    validates=True,
)
OPERATIONS["support_applications_list"] = Operation(
    "The support applications the caller may read",
    "support",
    response="SupportApplicationPage",
    query=[*PAGING, query("status", enum(_values(ApplicationStatus)))],
    validates=True,
)
OPERATIONS["support_application_show"] = Operation(
    "A support application: the request, decision, payments, result and files",
    "support",
    response="SupportApplication",
)
OPERATIONS["support_decision"] = Operation(
    "Assess and approve or reject an application",
    "support",
    response="SupportApplication",
    body="SupportDecision",
    validates=True,
)
OPERATIONS["support_disburse"] = Operation(
    "Record a payment against the approved amount",
    "support",
    201,
    "SupportApplication",
    "SupportDisbursementCreate",
    validates=True,
)
OPERATIONS["support_complete"] = Operation(
    "Record the result of a support, with its evidence as files",
    "support",
    response="SupportApplication",
    body="SupportCompletion",
    validates=True,
    files=True,
)
OPERATIONS["support_withdraw"] = Operation(
    "Withdraw an application not yet decided (the firm's users)",
    "support",
    response="SupportApplication",
    validates=True,
    extra={"422": "The application is already decided."},
)
OPERATIONS["support_file"] = Operation(
    "Download a file of a support application",
    "support",
    download=ATTACHMENTS,
)
