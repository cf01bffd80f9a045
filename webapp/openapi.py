"""The OpenAPI 3.0.3 document of the JSON API, served at ``/api/v1/openapi.json``.

Why it is generated: a hand-written document drifts from the code. Here everything the
code can tell is read from it: every path, method and path parameter comes from
``app.url_map`` (the ``api.*`` endpoints), and the security and error statuses of each
operation from the access rule its view declares (``webapp.access.rule`` / ``public``;
``ANONYMOUS_RULES`` names the rules that let callers without a token in). What the
code cannot tell (request and response schemas, query parameters, which views answer
422) is in ``OPERATIONS``, one entry per endpoint; a route without an entry makes
``spec`` raise, so a new route cannot be published undocumented (``tests/test_openapi``
fails first).

The request and response schemas of firms, capabilities, certifications and needs are
those their fields declare (``catalog.schemas``: every key of a response always present,
``None`` values marked ``nullable``; a request's fields and limits as they are checked);
the others are written here from ``catalog.serialize``.
Error bodies are those of ``webapp.errors`` and ``webapp.api``. Response objects leave
``additionalProperties`` open so that adding a field is not a breaking change.
"""

from __future__ import annotations

import copy
import inspect
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from flask import Flask
from werkzeug.routing import Rule, parse_converter_args

from catalog.models import (
    GRADES,
    IntroductionStatus,
    NeedStatus,
    Outcome,
)
from catalog.schemas import CapabilitySchema, CertificationSchema, FirmSchema, NeedSchema, nullable

__all__ = ["ANONYMOUS_RULES", "OPERATIONS", "SpecError", "build", "openapi_path", "spec"]

BLUEPRINT = "api"
EXTENSION_KEY = "ketnoi.openapi"
OPENAPI_VERSION = "3.0.3"
API_VERSION = "1"
INT64_MAX = 2**63 - 1  # ids are SQL BIGINT/INTEGER; larger values are not ids
_RULE_ARG = re.compile(r"<(?:(?P<conv>[a-zA-Z_]\w*)(?:\((?P<args>.*?)\))?:)?(?P<name>\w+)>")
_IGNORED_METHODS = {"HEAD", "OPTIONS"}


class SpecError(RuntimeError):
    """The routes and ``OPERATIONS`` disagree: a route is undocumented or an entry stale."""


def _values(enum_cls: type) -> list[str]:
    return [m.value for m in enum_cls]


# -- schema helpers -------------------------------------------------------------------


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object; by default every property is required (serializers emit every key)."""
    required = list(properties) if required is None else required
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:  # OpenAPI 3.0 forbids an empty list
        schema["required"] = required
    return schema


def array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
ID = {"type": "integer", "minimum": 1}
DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time"}


def text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length}


def whole(minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values}


# -- response schemas (catalog.serialize) ---------------------------------------------


def _firm_detail() -> dict[str, Any]:
    schema = FirmSchema(detail=True).openapi("out")
    schema["description"] = (
        "A firm with its capabilities and certifications. The contact person is null "
        "unless the caller may see it: the firm's own users, officers of its province, "
        "or the other side of an accepted introduction."
    )
    return schema


def _firm_list_item() -> dict[str, Any]:
    schema = FirmSchema(detail=False).openapi("out")
    relevance = {
        **NUMBER,
        "description": "Relevance to `q`, when `q` is given: the calibrated probability "
        "(0-1) that the firm is a relevant match (matching.calibration).",
    }
    schema["properties"]["score"] = relevance  # not required: only with `q`
    return schema


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return obj({"items": array(item), "page": ID, "per_page": ID, "total": whole(0, INT64_MAX)})


def _match() -> dict[str, Any]:
    """``FirmMatch.as_dict`` plus the firm and capability added by ``webapp.api``."""
    check = obj(
        {
            "name": STRING,
            "status": enum(["ok", "fail", "unknown"]),
            "hard": BOOLEAN,
            "detail": STRING,
            "weight": NUMBER,
        }
    )
    reason = obj(
        {
            "kind": enum(["concept", "keywords", "semantic", "learned"]),
            "concept": STRING,
            "concept_kind": STRING,
            "label_vi": STRING,
            "label_en": STRING,
            "need_term": STRING,
            "capability_term": STRING,
            "terms": array(STRING),
            "similarity": NUMBER,
            "rank": nullable(INTEGER),
            "judgements": INTEGER,
        },
        required=["kind"],
    )
    return obj(
        {
            "firm_id": ID,
            "capability_id": ID,
            "score": NUMBER,
            "relevance": NUMBER,
            "probability": {
                **nullable(NUMBER),
                "description": "Calibrated probability (0-1) that the match is relevant: "
                "what the percentage shown means.",
            },
            "fit": nullable(NUMBER),
            "meets_all_required": BOOLEAN,
            "scores": obj({"dense": nullable(NUMBER), "lexical": nullable(NUMBER)}),
            "reasons": array(reason),
            "constraints": array(check),
            "other_capabilities": array(ID),
            "firm": ref("FirmSummary"),
            "capability": obj({"id": ID, "title": STRING}),
        }
    )


def response_schemas() -> dict[str, dict[str, Any]]:
    concept = obj({"id": STRING, "name_vi": STRING, "name_en": STRING})
    return {
        "Concept": concept,
        "Zone": obj({"id": ID, "name": {**STRING, "description": "e.g. `KCN Khai Quang`."}}),
        "Certification": CertificationSchema().openapi("out"),
        "Capability": CapabilitySchema().openapi("out"),
        "FirmSummary": FirmSchema(detail=False).openapi("out"),
        "Firm": _firm_detail(),
        "FirmListItem": _firm_list_item(),
        "FirmPage": _page(ref("FirmListItem")),
        "CapabilityList": obj({"items": array(ref("Capability"))}),
        "Need": NeedSchema().openapi("out"),
        "NeedPage": _page(ref("Need")),
        "Judgement": obj(
            {
                "id": ID,
                "need_id": ID,
                "firm_id": ID,
                "outcome": enum(_values(Outcome)),
                "grade": whole(0, max(GRADES.values())),
            }
        ),
        "Match": _match(),
        "MatchList": obj(
            {
                "need_id": {**INTEGER, "description": "0 for an unsaved need."},
                "index": {
                    **enum(["ok", "degraded"]),
                    "description": "`degraded`: no search index, lexical matching only.",
                },
                "understood": {
                    **array(
                        obj(
                            {
                                "key": STRING,
                                "kind": enum(
                                    [
                                        "certification",
                                        "material",
                                        "treatment",
                                        "tolerance",
                                        "quantity",
                                        "delivery",
                                    ]
                                ),
                                "value": {},
                                "text": STRING,
                                "label_vi": STRING,
                                "label_en": STRING,
                            }
                        )
                    ),
                    "description": "Hard terms read in the need's title and description "
                    "and checked as requirements (the form's fields win): a certificate, "
                    "material grade, treatment, tolerance (mm), quantity per year or "
                    "delivery province id; those the buyer removed are left out.",
                },
                "items": array(ref("Match")),
            }
        ),
        "Introduction": obj(
            {
                "id": ID,
                "need_id": nullable(
                    {**ID, "description": "null when the caller may not read the need."}
                ),
                "supplier_id": ID,
                "buyer_id": ID,
                "status": enum(_values(IntroductionStatus)),
                "message": STRING,
                "created_at": nullable(TIMESTAMP),
                "decided_at": nullable(TIMESTAMP),
            }
        ),
        "IntroductionPage": _page(ref("Introduction")),
        "Error": obj({"error": STRING, "message": STRING, "status": whole(400, 599)}),
        "ValidationError": obj(
            {
                "error": STRING,
                "status": {**INTEGER, "enum": [422]},
                "errors": {
                    "type": "object",
                    "additionalProperties": STRING,
                    "description": "One message per field that failed.",
                },
            }
        ),
        "OpenAPI": {"type": "object", "description": "This document."},
    }


# -- request schemas (catalog.validation) ---------------------------------------------
# Optional fields accept null, which clears them. The validators are lenient (numbers
# may come as strings, lists as comma-separated text); the schemas give the canonical
# form a client should send.


def _firm_input(partial: bool) -> dict[str, Any]:
    schema = FirmSchema().openapi("in", partial=partial)
    if not partial:
        schema["description"] = "`name_vi` or `name_en` is required as well."
    return schema


def _need_input(partial: bool, buyer: bool = False, saved: bool = True) -> dict[str, Any]:
    schema = NeedSchema().openapi("in", partial=partial)
    if not saved:
        for name in ("status", "visibility"):
            del schema["properties"][name]
    if buyer:
        schema["properties"]["buyer_id"] = nullable(
            {
                **ID,
                "description": "The buyer firm; firm users may leave it out (their own firm).",
            }
        )
    return schema


def request_schemas() -> dict[str, dict[str, Any]]:
    return {
        "FirmCreate": _firm_input(partial=False),
        "FirmUpdate": _firm_input(partial=True),
        "CapabilityCreate": CapabilitySchema().openapi("in"),
        "CapabilityUpdate": CapabilitySchema().openapi("in", partial=True),
        "CertificationCreate": CertificationSchema().openapi("in"),
        "NeedCreate": _need_input(partial=False, buyer=True),
        "NeedUpdate": _need_input(partial=True),
        "NeedDraft": _need_input(partial=False, saved=False),
        "OutcomeCreate": obj(
            {
                "firm_id": {**ID, "description": "The supplier."},
                "capability_id": nullable(ID),
                "outcome": enum(_values(Outcome)),
            },
            required=["firm_id", "outcome"],
        ),
        "IntroductionCreate": obj(
            {
                "firm_id": {**ID, "description": "The supplier to be introduced to."},
                "message": {**STRING, "description": "Kept up to 1,000 characters."},
            },
            required=["firm_id"],
        ),
    }


# -- parameters -----------------------------------------------------------------------


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


PAGING = [
    query("page", {**whole(1, 1_000_000), "default": 1}),
    query("per_page", {**whole(1, 100), "default": 20}),
]


FIRM_FILTERS = [
    query("q", STRING, "Free text, Vietnamese or English; ranks results by relevance."),
    *PAGING,
    query("province", STRING, "Province code."),
    query("zone", {**ID, "format": "int64"}, "Industrial zone id."),
    query("sector", STRING, "Sector concept id."),
    query("process", STRING, "Process concept id."),
    query("material", STRING, "Material concept id."),
    query("certification", STRING, "A standard the firm holds, e.g. `ISO 9001`."),
    query("part", STRING, "Part family concept id."),
]

MATCH_FILTERS = [
    query("limit", whole(1, 100), "How many suppliers; the default is `MATCH_LIMIT` (20)."),
    query("qualified", BOOLEAN, "Only suppliers meeting every required constraint."),
    query("province", STRING, "Only suppliers in this province (code)."),
    query("min_score", {**NUMBER, "minimum": 0, "maximum": 100}, "Minimum score, 0-100."),
]


# -- the operations -------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """What the code cannot tell about one endpoint."""

    summary: str
    tag: str
    status: int = 200  # success
    response: str | None = None  # schema name of the success body; None: no body
    body: str | None = None  # schema name of the JSON request body (read by ``_body``)
    query: list[dict[str, Any]] = field(default_factory=list)
    validates: bool = False  # may answer 422 with field errors
    extra: dict[str, str] = field(default_factory=dict)  # status → description
    files: bool = False  # the body may also come as multipart/form-data with files
    download: frozenset[str] = frozenset()  # media types of a file answered as download


# One entry per endpoint of the ``api`` blueprint; ``build`` refuses to run without.
OPERATIONS: dict[str, Operation] = {
    "list_firms": Operation(
        "Search the supplier directory",
        "firms",
        response="FirmPage",
        query=FIRM_FILTERS,
        validates=True,
    ),
    "create_firm": Operation("Register a firm", "firms", 201, "Firm", "FirmCreate", validates=True),
    "get_firm": Operation(
        "A firm with its capabilities and certifications", "firms", response="Firm"
    ),
    "update_firm": Operation(
        "Change a firm's profile", "firms", response="Firm", body="FirmUpdate", validates=True
    ),
    "delete_firm": Operation("Delete a firm", "firms", 204),
    "list_capabilities": Operation(
        "A firm's capabilities", "capabilities", response="CapabilityList"
    ),
    "create_capability": Operation(
        "Declare a capability",
        "capabilities",
        201,
        "Capability",
        "CapabilityCreate",
        validates=True,
    ),
    "get_capability": Operation("A capability", "capabilities", response="Capability"),
    "update_capability": Operation(
        "Change a capability",
        "capabilities",
        response="Capability",
        body="CapabilityUpdate",
        validates=True,
    ),
    "delete_capability": Operation("Delete a capability", "capabilities", 204),
    "create_certification": Operation(
        "Add a certification",
        "certifications",
        201,
        "Certification",
        "CertificationCreate",
        validates=True,
    ),
    "delete_certification": Operation("Delete a certification", "certifications", 204),
    "list_needs": Operation(
        "Needs the caller may read",
        "needs",
        response="NeedPage",
        query=[
            *PAGING,
            query(
                "status",
                {**enum([*_values(NeedStatus), "all"]), "default": "open"},
            ),
            query("buyer", {**ID, "format": "int64"}, "Only this buyer firm's needs."),
        ],
        validates=True,
    ),
    "create_need": Operation("Post a need", "needs", 201, "Need", "NeedCreate", validates=True),
    "get_need": Operation("A need", "needs", response="Need"),
    "update_need": Operation(
        "Change a need", "needs", response="Need", body="NeedUpdate", validates=True
    ),
    "record_outcome": Operation(
        "Record what happened to a suggested supplier",
        "matches",
        201,
        "Judgement",
        "OutcomeCreate",
        validates=True,
    ),
    "need_matches": Operation(
        "Ranked suppliers for a need",
        "matches",
        response="MatchList",
        query=MATCH_FILTERS,
        validates=True,
    ),
    "adhoc_matches": Operation(
        "Ranked suppliers for an unsaved need",
        "matches",
        response="MatchList",
        body="NeedDraft",
        query=MATCH_FILTERS,
        validates=True,
    ),
    "list_introductions": Operation(
        "Introductions the caller takes part in",
        "introductions",
        response="IntroductionPage",
        query=PAGING,
        validates=True,
    ),
    "create_introduction": Operation(
        "Ask to be introduced to a supplier",
        "introductions",
        201,
        "Introduction",
        "IntroductionCreate",
        validates=True,
        extra={"201": "Requested; an existing request for the same pair is returned."},
    ),
    "decide": Operation(
        "Accept or decline an introduction",
        "introductions",
        response="Introduction",
        validates=True,
        extra={"422": "The introduction was already answered."},
    ),
    "openapi": Operation("This document", "meta", response="OpenAPI"),
}


# -- responses ------------------------------------------------------------------------

# Access rules (``catalog.access.RULES``) that never refuse, or never refuse a signed-in
# caller: their operations cannot answer 403.
NEVER_FORBIDDEN = frozenset({"anyone", "signed_in"})
# Rules that admit callers without a token for some records: their operations are
# documented as usable anonymously. ``need.view``: needs whose buyer made them public;
# ``programme.view``: a province's programme, a public decision.
# ``tests/test_openapi.py`` checks this against ``catalog.access``.
ANONYMOUS_RULES = frozenset({"anyone", "need.view", "programme.view"})


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def common_responses() -> dict[str, dict[str, Any]]:
    error = _json(ref("Error"))
    return {
        "BadRequest": {"description": "The body is not a JSON object.", "content": error},
        "Unauthorized": {
            "description": "No valid token: it is missing (where one is needed), invalid "
            "or revoked.",
            "headers": {"WWW-Authenticate": {"schema": STRING}},
            "content": error,
        },
        "Forbidden": {"description": "The access rules refuse the caller.", "content": error},
        "NotFound": {"description": "No record with this id.", "content": error},
        "UnprocessableEntity": {
            "description": "The input failed validation: one message per field.",
            "content": _json(ref("ValidationError")),
        },
    }


def _security(access_rule: str) -> list[dict[str, list[str]]]:
    """A token is required, or optional (``{}``: anonymous) where the rule admits anyone."""
    if access_rule in ANONYMOUS_RULES:
        return [{}, {"bearerAuth": []}]
    return [{"bearerAuth": []}]


def _response_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _responses(op: Operation, access_rule: str, has_ids: bool) -> dict[str, Any]:
    default = {200: "OK.", 201: "Created.", 204: "Done; no content."}.get(op.status, "OK.")
    success: dict[str, Any] = {"description": op.extra.get(str(op.status), default)}
    if op.response is not None:
        success["content"] = _json(ref(op.response))
    elif op.download:
        binary = {"schema": {"type": "string", "format": "binary"}}
        success["content"] = {media: binary for media in sorted(op.download)}
    responses: dict[str, Any] = {str(op.status): success}
    if op.body is not None:
        responses["400"] = _response_ref("BadRequest")
    responses["401"] = _response_ref("Unauthorized")  # an invalid token, even when public
    if access_rule not in NEVER_FORBIDDEN:
        responses["403"] = _response_ref("Forbidden")
    if has_ids:
        responses["404"] = _response_ref("NotFound")
    if op.validates:
        responses["422"] = _response_ref("UnprocessableEntity")
        if "422" in op.extra:
            responses["422"] = {
                "description": op.extra["422"],
                "content": _json(ref("ValidationError")),
            }
    return dict(sorted(responses.items()))


# -- routes ---------------------------------------------------------------------------


def openapi_path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """``/firms/<int:firm_id>`` → ``/firms/{firm_id}`` and its path parameters."""
    params = []
    for m in _RULE_ARG.finditer(rule.rule):
        args, kwargs = parse_converter_args(m["args"]) if m["args"] else ((), {})
        params.append(
            {
                "name": m["name"],
                "in": "path",
                "required": True,
                "schema": _converter_schema(m["conv"] or "default", args, kwargs),
            }
        )
    return _RULE_ARG.sub(lambda m: "{" + m["name"] + "}", rule.rule), params


def _converter_schema(conv: str, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    if conv == "int":  # werkzeug's IntegerConverter: unsigned unless signed=True
        schema: dict[str, Any] = {"type": "integer", "format": "int64"}
        minimum = kwargs.get("min", None if kwargs.get("signed") else 0)
        if minimum is not None:
            schema["minimum"] = minimum
        schema["maximum"] = kwargs.get("max", INT64_MAX)
        return schema
    if conv == "float":
        return {"type": "number"}
    if conv == "any":
        return {"type": "string", "enum": list(args)}
    if conv == "uuid":
        return {"type": "string", "format": "uuid"}
    if conv in ("default", "string", "path"):
        schema = {"type": "string", "minLength": kwargs.get("minlength", 1)}
        if "maxlength" in kwargs:
            schema["maxLength"] = kwargs["maxlength"]
        return schema
    raise SpecError(f"no OpenAPI schema for the URL converter {conv!r}")


def _description(obj: Any) -> str:
    """A docstring as Markdown (reST ``literals`` become `code`)."""
    return (inspect.getdoc(obj) or "").replace("``", "`")


def _api_rules(app: Flask) -> list[Rule]:
    prefix = BLUEPRINT + "."
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith(prefix)),
        key=lambda r: (r.rule, sorted(r.methods or ())),
    )


def _multipart(body: str) -> dict[str, Any]:
    """The multipart form of a body with files: the JSON object in a ``json`` part, each
    file in a ``files`` part (``webapp.deals.api._body_and_files``)."""
    files = {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 5}
    return {
        "schema": {
            "type": "object",
            "properties": {"json": ref(body), "files": files},
            "required": ["json"],
        },
        "encoding": {"json": {"contentType": "application/json"}},
    }


def build(app: Flask) -> dict[str, Any]:
    """The document, built afresh (``spec`` caches it)."""
    # The deal and programme endpoints' entries (they import this module).
    from .deals import openapi as deals
    from .programmes import openapi as programmes

    table = {**OPERATIONS, **deals.OPERATIONS, **programmes.OPERATIONS}
    rules = _api_rules(app)
    endpoints = {r.endpoint.removeprefix(BLUEPRINT + ".") for r in rules}
    missing = sorted(endpoints - table.keys())
    if missing:
        raise SpecError(f"API routes without an entry in webapp.openapi.OPERATIONS: {missing}")
    stale = sorted(table.keys() - endpoints)
    if stale:
        raise SpecError(f"webapp.openapi.OPERATIONS entries without a route: {stale}")

    api = APISpec(
        title="KetNoi API",
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        info={"description": _description(sys.modules[app.blueprints[BLUEPRINT].import_name])},
        tags=[{"name": t} for t in dict.fromkeys(o.tag for o in table.values())],
    )
    api.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (`kn_…`), created on the account page.",
        },
    )
    schemas = {**response_schemas(), **request_schemas(), **deals.SCHEMAS, **programmes.SCHEMAS}
    for name, schema in schemas.items():
        api.components.schema(name, schema)
    for name, response in common_responses().items():
        api.components.response(name, response)

    paths: dict[str, dict[str, Any]] = {}
    path_params: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        endpoint = rule.endpoint.removeprefix(BLUEPRINT + ".")
        view = app.view_functions[rule.endpoint]
        access_rule = getattr(view, "access_rule", None)
        if access_rule is None:
            raise SpecError(f"{rule.endpoint} declares no access rule (it answers 403 to all)")
        op = table[endpoint]
        path, params = openapi_path(rule)
        path_params[path] = params
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            operation: dict[str, Any] = {
                "operationId": endpoint,
                "summary": op.summary,
                "tags": [op.tag],
                "x-access-rule": access_rule,
                "security": _security(access_rule),
                "responses": _responses(
                    op, access_rule, has_ids=any(p["name"].endswith("_id") for p in params)
                ),
            }
            description = _description(view)
            if description:
                operation["description"] = description
            if op.query:
                operation["parameters"] = op.query
            if op.body is not None:
                operation["requestBody"] = {"required": True, "content": _json(ref(op.body))}
                if op.files:
                    operation["requestBody"]["content"]["multipart/form-data"] = _multipart(op.body)
            paths.setdefault(path, {})[method.lower()] = operation
    for path, methods in paths.items():
        api.path(path=path, operations=methods, parameters=path_params[path] or None)
    # A copy: the document must not share dicts with OPERATIONS or between its parts.
    return copy.deepcopy(api.to_dict())


def spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s JSON API, built once per app.

    The routes and rules cannot change after the first request, so the cached document
    stays true. Callers must not modify the returned dict.
    """
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is None:
        cached = app.extensions[EXTENSION_KEY] = build(app)
    return cached
