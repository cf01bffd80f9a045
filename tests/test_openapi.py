"""The OpenAPI document of /api/v1: valid, complete, and true of the running API.

The fast tests check the document itself against the routes and access rules. The
slow test starts the real application in its own process on a copy of the seeded
database and lets Schemathesis generate requests from the document (valid and invalid
ones), checking every response against it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.conftest import ROOT, database_url_of
from webapp import openapi

ARTIFACTS = ROOT / "test-artifacts"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(OpenAPI path, method, endpoint) of every route of the ``api`` blueprint."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path, _params = openapi.openapi_path(rule)
            for method in sorted((rule.methods or set()) - IGNORED_METHODS):
                routes.append((path, method.lower(), rule.endpoint))
    return routes


# -- the document ---------------------------------------------------------------------


def test_document_is_valid_openapi_3_0(app):
    doc = openapi.spec(app)
    assert doc["openapi"] == "3.0.3"
    try:
        from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR
    except ImportError:  # the meta-schema moved: fall back to the structure we rely on
        assert doc["info"]["title"] and doc["paths"]
        for item in doc["paths"].values():
            for operation in (v for k, v in item.items() if k != "parameters"):
                assert operation["responses"], operation["operationId"]
    else:
        errors = [str(e) for e in OPENAPI_30_VALIDATOR.iter_errors(doc)]
        assert not errors, "\n\n".join(errors[:3])
    refs = set(_refs(doc))
    defined = {
        f"#/components/{kind}/{name}" for kind, items in doc["components"].items() for name in items
    }
    assert refs <= defined, refs - defined
    assert openapi.spec(app) is doc  # built once per app


def _refs(node: Any):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_api_route_is_documented(app, client):
    doc = openapi.spec(app)
    routes = api_routes(app)
    assert len(routes) >= 20
    for path, method, endpoint in routes:
        operation = doc["paths"].get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} ({endpoint}) is not documented"
        assert operation["operationId"] == endpoint.removeprefix("api.")
    documented = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert documented == {(p, m) for p, m, _ in routes}
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json["paths"].keys() == doc["paths"].keys()


def test_path_parameters_follow_the_url_converters(app):
    doc = openapi.spec(app)
    decide = doc["paths"]["/api/v1/introductions/{intro_id}/{decision}"]
    params = {p["name"]: p for p in decide["parameters"]}
    assert params["intro_id"]["schema"]["type"] == "integer"
    assert params["decision"]["schema"]["enum"] == ["accept", "decline"]
    for path, item in doc["paths"].items():
        names = [p["name"] for p in item.get("parameters", [])]
        assert names == [s.strip("{}") for s in path.split("/") if s.startswith("{")], path


def test_security_follows_the_access_rules(app):
    doc = openapi.spec(app)
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method, endpoint in api_routes(app):
        operation = doc["paths"][path][method]
        rule = app.view_functions[endpoint].access_rule
        assert operation["x-access-rule"] == rule
        responses = operation["responses"]
        assert "401" in responses  # a bad token is refused everywhere
        if rule in openapi.ANONYMOUS_RULES:
            assert operation["security"] == [{}, {"bearerAuth": []}], endpoint
        else:
            assert operation["security"] == [{"bearerAuth": []}], endpoint
        assert ("403" in responses) == (rule not in ("anyone", "signed_in")), endpoint
        if any(p.endswith("_id}") for p in path.split("/")):
            assert "404" in responses, endpoint


def test_anonymous_rules_agree_with_catalog_access(app):
    """Exactly the rules of ``openapi.ANONYMOUS_RULES`` let a caller without a token in,
    for some record (tried on unsaved records of every kind and visibility)."""
    from catalog import access
    from catalog.models import (
        Capability,
        Certification,
        Firm,
        FirmRole,
        Introduction,
        Need,
        NeedVisibility,
    )

    firm = Firm(id=1, role=FirmRole.BOTH, province_id=1)
    needs = [Need(id=i, buyer=firm, visibility=v) for i, v in enumerate(NeedVisibility, 1)]
    targets = [
        None,
        firm,
        Capability(id=1, firm=firm),
        Certification(id=1, firm=firm),
        Introduction(id=1, need=needs[0], supplier=firm, buyer=firm),
        *needs,
    ]

    def anonymous_may(rule: str) -> bool:
        for target in targets:
            try:
                if access.can(None, rule, target):
                    return True
            except (AttributeError, TypeError):  # a target of another kind
                continue
        return False

    rules = {app.view_functions[e].access_rule for _p, _m, e in api_routes(app)}
    assert {r for r in rules if anonymous_may(r)} == openapi.ANONYMOUS_RULES & rules


def test_a_route_without_an_entry_is_refused(app, monkeypatch):
    monkeypatch.delitem(openapi.OPERATIONS, "decide")
    with pytest.raises(openapi.SpecError, match="decide"):
        openapi.build(app)


# -- Schemathesis against the running application -------------------------------------

# The checks, and why these: a 5xx is always a bug; every status, content type, header
# and body the API sends must be the documented one (the document is the contract that
# clients are generated from); a secured operation must not succeed without its token
# (ignored_auth); a created record can be read and a deleted one is gone (stateful).
# Left out by design: positive_data_acceptance (schema-valid requests are still refused
# with 403/404/422 for ids that do not exist or belong to other firms, unknown concept
# names, wrong tax-code check digits), negative_data_rejection (the validators are
# lenient on purpose: "1.000" for 1000, comma-separated lists, unknown keys ignored,
# bad paging numbers replaced by the defaults), and the checks about methods the API
# does not serve or headers it does not use.
CHECKS = {
    "not_a_server_error": True,
    "status_code_conformance": True,
    "content_type_conformance": True,
    "response_schema_conformance": True,
    "response_headers_conformance": True,
    "ignored_auth": True,
    "use_after_free": True,
    "ensure_resource_availability": True,
    "positive_data_acceptance": False,
    "negative_data_rejection": False,
    "missing_required_header": False,
    "unsupported_method": False,
    "allow_header_conformance": False,
    "object_level_authorization": False,
}
# ignored_auth repeats a successful request without the token; after a DELETE the record
# is gone, and a missing record is 404 before any token is asked for (webapp.access.rule).
NO_IGNORED_AUTH_METHODS = ["DELETE"]
MAX_EXAMPLES = 10  # per operation and phase; about 45 s per run on 2 cores
SEED = 20240917
SERVER_START_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_accounts(data_dir: Path) -> dict[str, Any]:
    """A supplier-firm user, a buyer-firm user, their tokens, an introduction between
    them, and ids of real records for Schemathesis to use alongside random ones."""
    from catalog import services
    from catalog.accounts import create_user, issue_api_token
    from catalog.introductions import request_introduction
    from catalog.models import Certification, Firm, FirmRole, Need, UserRole

    # A plain session on the copy: a second Flask app in this process would become
    # Celery's default app and take over the other tests' eager tasks.
    engine = create_engine(database_url_of(data_dir))
    with Session(engine) as session:
        supplier = session.scalars(
            select(Firm).where(Firm.role == FirmRole.SUPPLIER, Firm.capabilities.any())
        ).first()
        buyer = session.scalars(
            select(Firm).where(Firm.role == FirmRole.BUYER).join(Need, Need.buyer_id == Firm.id)
        ).first()
        assert supplier is not None and buyer is not None
        tokens = {}
        users = {}
        for label, firm in (("supplier", supplier), ("buyer", buyer)):
            user = create_user(
                session,
                f"schemathesis-{label}@example.test",
                "schemathesis-password",
                f"Schemathesis {label}",
                role=UserRole.MEMBER,
                firm=firm,
            )
            users[label] = user
            _token, tokens[label] = issue_api_token(session, user, "schemathesis")
        own_needs = list(session.scalars(select(Need.id).where(Need.buyer_id == buyer.id)))
        other_needs = list(
            session.scalars(select(Need.id).where(Need.buyer_id != buyer.id).limit(3))
        )
        need = session.get(Need, own_needs[0])
        intro = request_introduction(session, need, supplier, users["buyer"], "Schemathesis")
        cert = services.add_certification(session, buyer, {"standard": "ISO 9001"})
        others = session.scalars(
            select(Certification.id).where(Certification.firm_id != buyer.id).limit(2)
        )
        ids = {
            "firms": [supplier.id, buyer.id],
            "needs": own_needs[:3] + other_needs,
            "capabilities": [c.id for c in supplier.capabilities[:3]],
            "certifications": [cert.id, *others],
            "introductions": [intro.id],
            "suppliers": [supplier.id],
        }
    engine.dispose()
    return {"tokens": tokens, "ids": ids}


def _schemathesis_config(path: Path, ids: dict[str, list[int]]) -> Path:
    """The checks, and real record ids for half of the generated ids (the rest random),
    so that requests reach the views' logic instead of stopping at 404."""
    bindings = {
        "path.firm_id": "firms",
        "path.need_id": "needs",
        "path.cap_id": "capabilities",
        "path.cert_id": "certifications",
        "path.intro_id": "introductions",
        "body.firm_id": "suppliers",
        "body.capability_id": "capabilities",
        "query.buyer": "firms",
    }
    lines = ["[checks]"]
    lines += [f"{name}.enabled = {str(on).lower()}" for name, on in CHECKS.items()]
    lines += ["", "[[operations]]", f"include-method = {json.dumps(NO_IGNORED_AUTH_METHODS)}"]
    lines += ["checks.ignored_auth.enabled = false", ""]
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, dictionary in bindings.items():
        lines.append(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.5 }}')
    path.write_text("\n".join(lines) + "\n")
    return path


def _wait_until_serving(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the server did not answer {url}:\n{log.read_text()[-3000:]}")


def _executable(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def _run_schemathesis(
    label: str, url: str, token: str | None, config: Path, workdir: Path
) -> dict[str, Any]:
    report = workdir / f"schemathesis-{label}.json"
    command = [
        _executable("schemathesis"),
        "--config-file",
        str(config),
        "run",
        url,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    (workdir / f"schemathesis-{label}.log").write_text(output)
    assert report.exists(), f"no report from Schemathesis ({label}):\n{output[-5000:]}"
    data = json.loads(report.read_text())
    cases = data["test_cases"]
    return {
        "label": label,
        "cases": cases["generated"],
        "failures": cases["unique_failures"],
        "cases_with_failures": cases["with_failures"],
        "kinds": ", ".join(f"{f['code']} {f['title']}: {f['count']}" for f in data["failures"]),
        "errors": len(data["errors"]) + cases["errored"],
        "operations": data["operations"]["tested"],
        "seconds": round(elapsed, 1),
        "exit_code": result.returncode,
        "command": " ".join(
            "Authorization: Bearer <token>" if arg.startswith("Authorization:") else arg
            for arg in command
        ),
        "output": output,
    }


def _write_artifact(runs: list[dict[str, Any]]) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "schemathesis.txt"
    checks = ",".join(name for name, on in CHECKS.items() if on)
    lines = [f"Schemathesis against the running app, seed {SEED}, checks {checks}"]
    for run in runs:
        lines.append(
            f"{run['label']}: {run['cases']} cases, {run['failures']} failures "
            f"({run['cases_with_failures']} failing cases), {run['errors']} errors, "
            f"{run['operations']} operations, {run['seconds']} s, exit code {run['exit_code']}"
        )
        if run["kinds"]:
            lines.append(f"  failures: {run['kinds']}")
        lines.append(f"  command: {run['command']}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_schemathesis_against_the_running_app(snapshot_data: Path, tmp_path: Path):
    seeded = _seed_accounts(snapshot_data)
    config = _schemathesis_config(tmp_path / "schemathesis.toml", seeded["ids"])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KETNOI_DATA_DIR": str(snapshot_data), "CELERY_ALWAYS_EAGER": "1"}
    for name in ("INDEX_DIR", "EMBEDDING_CACHE", "FLASK_DEBUG"):
        env.pop(name, None)
    log = tmp_path / "server.log"
    runs: list[dict[str, Any]] = []
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [
                *(_executable("flask"), "--app", "webapp", "run"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(server, f"{base}/api/v1/openapi.json", log)
            schema_url = f"{base}/api/v1/openapi.json"
            for label, token in (
                ("buyer", seeded["tokens"]["buyer"]),
                ("anonymous", None),
                ("supplier", seeded["tokens"]["supplier"]),
            ):
                runs.append(_run_schemathesis(label, schema_url, token, config, tmp_path))
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    artifact = _write_artifact(runs)
    print(artifact.read_text())
    for run in runs:
        assert run["operations"] >= 20, run["output"][-3000:]
        assert run["cases"] >= 500, run["output"][-3000:]
        assert run["errors"] == 0, f"{run['label']}:\n{run['output'][-8000:]}"
        assert run["failures"] == 0, f"{run['label']}:\n{run['output'][-8000:]}"
        assert run["exit_code"] == 0, f"{run['label']}:\n{run['output'][-8000:]}"
