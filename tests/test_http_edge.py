"""The HTTP edge: trusted host names, links in mail, response headers, the health
check's public answer, the server banner, and the example nginx in front of gunicorn."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete
from werkzeug.serving import make_server

from catalog import accounts
from catalog.models import UserRole
from jobs.models import WorkerHeartbeat
from tests.conftest import PASSWORD, ROOT
from tests.services import free_port, stop_process

PUBLIC = "https://ketnoi.example.vn"
FORGED = "evil.example"


# -- trusted hosts and links in mail ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/account/reset"), ("GET", "/api/v1/firms"), ("GET", "/healthz")],
)
def test_a_forged_host_is_refused(client, method, path):
    resp = client.open(path, method=method, headers={"Host": FORGED}, data={"email": "a@b.test"})
    assert resp.status_code == 400
    assert FORGED not in resp.get_data(as_text=True)
    # A host one suffix away is no more trusted; the loopback names are.
    assert client.get("/", headers={"Host": f"localhost.{FORGED}"}).status_code == 400
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


def test_trusted_hosts_come_from_the_public_url_and_the_setting(monkeypatch, tmp_path):
    from webapp.config import load_config

    monkeypatch.setenv("KETNOI_PUBLIC_URL", PUBLIC + "/")
    monkeypatch.setenv("KETNOI_TRUSTED_HOSTS", " www.ketnoi.example.vn, .so-cong-thuong.vn ")
    hosts = load_config({"DATA_DIR": str(tmp_path)})["TRUSTED_HOSTS"]
    assert hosts == [
        "ketnoi.example.vn",
        "127.0.0.1",
        "localhost",
        "www.ketnoi.example.vn",
        ".so-cong-thuong.vn",
    ]


@pytest.fixture()
def public_site(app, monkeypatch):
    """The app published at PUBLIC and, as a deployment might, also answering to a
    second name: a Host that passes the check must still not reach the mail."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["localhost", "other.example"])
    return app


def test_mailed_links_use_the_public_url_whatever_the_host(
    public_site, session, smtp_server, client_as
):
    user = accounts.create_user(session, "edge.reset@people.test", PASSWORD, role=UserRole.ADMIN)
    client = public_site.test_client()
    resp = client.post(
        "/account/reset", data={"email": user.email}, headers={"Host": "other.example"}
    )
    assert resp.status_code == 302
    # An invitation from a firm's user (the same link, another mail), whose browser
    # holds its session cookie for the other name.
    inviter = client_as("supplier")
    cookie = inviter.get_cookie(public_site.config["SESSION_COOKIE_NAME"])
    inviter.set_cookie(cookie.key, cookie.value, domain="other.example")
    resp = inviter.post(
        "/account/colleagues",
        data={"email": "edge.colleague@people.test", "name": "Đồng nghiệp"},
        headers={"Host": "other.example"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/"
    mails = smtp_server.messages
    assert len(mails) == 2
    for mail in mails:
        assert re.search(re.escape(PUBLIC) + r"/account/reset/\S+", mail), mail
        assert "other.example" not in mail and "localhost" not in mail


def test_public_links_ignore_the_request(public_site):
    from jobs.mail import public_url

    with public_site.test_request_context("/", headers={"Host": "other.example"}):
        assert public_url("events.show", event_id=7, _anchor="requests") == (
            PUBLIC + "/events/7#requests"
        )
        assert public_url("directory.show", firm_id=3) == PUBLIC + "/suppliers/3"
    public_site.config["PUBLIC_URL"] = "https://so.example.vn/ketnoi"
    with public_site.app_context():
        assert public_url("accounts.reset", token="t") == (
            "https://so.example.vn/ketnoi/account/reset/t"
        )


def test_every_mail_link_is_built_by_public_url():
    """No absolute URL from the request (``_external``) and no other use of PUBLIC_URL
    in the web app or the jobs: the next mail cannot reopen the forged-Host hole."""
    offenders = []
    for package in ("webapp", "jobs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() in ("webapp/config.py", "jobs/mail.py"):
                continue
            text = path.read_text(encoding="utf-8")
            for needle in ("_external", "PUBLIC_URL"):
                if needle in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders


# -- response headers --------------------------------------------------------------


def test_signed_in_pages_and_api_answers_are_not_stored(client, client_as, api_as, people):
    firm_id = people.firms["supplier"]
    anonymous = client.get(f"/suppliers/{firm_id}")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    assert "supplier@firm.test" not in anonymous.get_data(as_text=True)

    own = client_as("supplier").get(f"/suppliers/{firm_id}")
    assert "supplier@firm.test" in own.get_data(as_text=True)  # contact details
    assert own.headers["Cache-Control"] == "no-store"
    assert client_as("buyer").get("/").headers["Cache-Control"] == "no-store"

    api = api_as("supplier").get(f"/api/v1/firms/{firm_id}")
    assert api.status_code == 200 and api.json["contact_email"] == "supplier@firm.test"
    assert api.headers["Cache-Control"] == "no-store"
    refused = api_as("anonymous").get("/api/v1/firms", headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"

    # Static files stay cacheable for everyone.
    static = client_as("supplier").get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_over_https_only(app, client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Behind a proxy that terminates HTTPS, secure cookies say the site is HTTPS.
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    assert "max-age=" in client.get("/").headers["Strict-Transport-Security"]


# -- the health check --------------------------------------------------------------


@pytest.fixture()
def heartbeat(app):
    from webapp.extensions import db

    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(
            WorkerHeartbeat(
                hostname="celery@db-7.internal.so-cong-thuong",
                pid=4242,
                instance="edge",
                started_at=now,
                last_seen=now,
                tasks_done=3,
            )
        )
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.instance == "edge"))
        db.session.commit()


@pytest.mark.parametrize("role", ["anonymous", "supplier", "officer"])
def test_public_healthz_names_no_machine(heartbeat, client_as, role):
    resp = client_as(role).get("/healthz")
    assert resp.status_code == 200
    assert "db-7" not in resp.get_data(as_text=True)
    body = resp.json
    assert body["worker"]["status"] == "ok" and body["worker"]["alive"] >= 1
    worker = next(w for w in body["worker"]["workers"] if w["tasks_done"] == 3)
    assert worker["alive"] and worker["seconds_ago"] >= 0 and worker["last_seen"]
    assert "hostname" not in worker
    assert "detail" not in body["index"]
    assert body["index"]["documents"] > 0 and body["index"]["status"]


def test_admins_see_which_machines(heartbeat, admin_client):
    body = admin_client.get("/healthz").json
    names = [w["hostname"] for w in body["worker"]["workers"]]
    assert "celery@db-7.internal.so-cong-thuong" in names
    assert "detail" in body["index"]


# -- the server banner -----------------------------------------------------------------


def test_the_development_server_does_not_name_its_software(app):
    """``make run`` (flask run) and the browser tests serve through Werkzeug."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/healthz") as resp:
            assert resp.headers.get_all("Server") == ["KetNoi"]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_every_gunicorn_reads_the_config_that_replaces_the_banner():
    from webapp.security import SERVER_BANNER

    assert f'SERVER_BANNER = "{SERVER_BANNER}"' in (ROOT / "gunicorn.conf.py").read_text()
    files = [ROOT / "Procfile", *sorted((ROOT / "deploy").rglob("*"))]
    commands = [
        line
        for path in files
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"\bgunicorn\s+--", line)
    ]
    assert commands
    assert all(re.search(r"--config \S*gunicorn\.conf\.py", line) for line in commands)


# -- nginx in front of gunicorn (deploy/nginx/ketnoi.conf) -----------------------------

SITE = "ketnoi.example.vn"
CLIENT_ADDRESS = "127.0.0.2"  # another loopback address than nginx's own, 127.0.0.1
PROXY_SETTING = "KETNOI_PROXY_FIX"


def nginx_binary() -> str:
    """Debian's nginx, installed by ``make services`` when missing (as PostgreSQL and
    Redis are)."""

    def find() -> str | None:  # /usr/sbin is not on every user's PATH
        return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")

    if not find() or not shutil.which("openssl"):
        subprocess.run(["make", "--no-print-directory", "services"], cwd=ROOT, check=True)
    found = find()
    assert found, "make services did not install nginx"
    return found


def render_site(text: str, upstream: int, http: int, https: int, cert: Path, key: Path) -> str:
    """The example configuration on loopback ports, with a throwaway certificate."""
    replacements = [
        (r"[ \t]*listen \[::\]:\d+[^;]*;\n", ""),  # loopback over IPv4 only
        (r"server 127\.0\.0\.1:5000;", f"server 127.0.0.1:{upstream};"),
        (r"listen 80\b", f"listen 127.0.0.1:{http}"),
        (r"listen 443\b", f"listen 127.0.0.1:{https}"),
        (r"ssl_certificate \S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx/ketnoi.conf has no {pattern!r} any more: update the test"
    return text


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited early:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}:\n{log.read_text()[-3000:]}")


@dataclass
class Edge:
    http: int
    https: int
    upstream: int
    tls: ssl.SSLContext
    access_log: Path

    def connect(self, name: str = SITE, source: str = "127.0.0.1") -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self.https), 60, (source, 0))
        return self.tls.wrap_socket(raw, server_hostname=name)


def http_request(method: str, path: str, host: str = SITE, body: bytes = b"", **headers) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    if body:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_response(sock: socket.socket) -> tuple[int, list[tuple[str, str]], bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    assert data, "the connection was closed without an answer"
    head, _sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
    return int(lines[0].split()[1]), headers, body


def exchange(sock: socket.socket, request: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    sock.sendall(request)
    return read_response(sock)


def values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name.lower()]


@pytest.fixture()
def edge(snapshot_data: Path, tmp_path: Path) -> Iterator[Edge]:
    """gunicorn with ONE sync worker, as Procfile starts it, behind nginx configured by
    deploy/nginx/ketnoi.conf, on loopback ports."""
    nginx = nginx_binary()
    work = tmp_path / "edge"
    work.mkdir()
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={SITE}"]
        + ["-addext", f"subjectAltName=DNS:{SITE}"],
        check=True,
        capture_output=True,
    )
    upstream, http, https = free_port(), free_port(), free_port()
    access_log = work / "gunicorn-access.log"
    env = {
        **os.environ,
        "KETNOI_DATA_DIR": str(snapshot_data),
        "KETNOI_PUBLIC_URL": f"https://{SITE}",
        PROXY_SETTING: "1",
        "SESSION_COOKIE_SECURE": "1",
        "SECRET_KEY": "edge-test-secret",
    }
    env.pop("CELERY_ALWAYS_EAGER", None)
    gunicorn_log = work / "gunicorn.log"
    with gunicorn_log.open("w") as out:
        web = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "--config", "gunicorn.conf.py"]
            + ["--workers", "1", "--bind", f"127.0.0.1:{upstream}", "--timeout", "120"]
            + ["--access-logfile", str(access_log)]
            + ["--access-logformat", "%(h)s %(U)s %(q)s %(s)s", "webapp:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    site = render_site(
        (ROOT / "deploy" / "nginx" / "ketnoi.conf").read_text(), upstream, http, https, cert, key
    )
    (work / "ketnoi.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""  # workers may read the temp folders
    (work / "nginx.conf").write_text(
        f"""daemon off;
{user}
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/ketnoi.conf;
}}
"""
    )
    nginx_log = work / "nginx.log"
    with nginx_log.open("w") as out:
        proxy = subprocess.Popen(
            [nginx, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(nginx_log)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    tls = ssl.create_default_context(cafile=str(cert))
    try:
        _wait_for_port(https, proxy, nginx_log, 30)
        _wait_for_port(upstream, web, gunicorn_log)
        yield Edge(http, https, upstream, tls, access_log)
    finally:
        stop_process(proxy)
        stop_process(web)


def _healthz(edge: Edge, **headers) -> tuple[int, list[tuple[str, str]], bytes]:
    return exchange(edge.connect(), http_request("GET", "/healthz", **headers))


@pytest.mark.slow
def test_nginx_example_in_front_of_gunicorn(edge: Edge):
    # The worker is up (its first request loads the app's index).
    deadline = time.monotonic() + 180
    while (status := _healthz(edge)[0]) != 200 and time.monotonic() < deadline:
        time.sleep(1)
    assert status == 200

    # Slow clients, sending a body or the headers a byte at a time, while the single
    # sync worker answers someone else: nginx holds each slow request until it is
    # whole. (With proxy_request_buffering off, the worker is stuck reading the body:
    # the other request waits until nginx gives up on the slow one, client_body_timeout,
    # and the slow one gets no answer.)
    body = b"email=slow%40client.test&password=not-yet"
    slow_body = edge.connect()
    slow_body.sendall(http_request("POST", "/account/login", body=body)[: -len(body)])
    slow_headers = edge.connect()
    request = http_request("GET", "/healthz")
    for i in range(12):
        slow_body.send(body[i : i + 1])
        slow_headers.send(request[i : i + 1])
        time.sleep(0.05)
    status, headers, answer = _healthz(edge)
    assert status == 200 and b'"database"' in answer
    slow_body.sendall(body[12:])
    slow_headers.sendall(request[12:])
    assert read_response(slow_body)[0] == 400  # no CSRF token: refused, but answered
    assert read_response(slow_headers)[0] == 200

    # One HSTS header (nginx's; the app's is hidden), and no software named.
    status, headers, _ = exchange(edge.connect(), http_request("GET", "/"))
    assert status == 200
    assert values(headers, "Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]
    assert values(headers, "Server") == ["KetNoi"]
    direct = socket.create_connection(("127.0.0.1", edge.upstream), 60)
    status, headers, _ = exchange(direct, http_request("GET", "/healthz", host="127.0.0.1"))
    assert status == 200 and values(headers, "Server") == ["KetNoi"]

    # An answer decided from the headers alone (anonymous: 401) waits for the body: a
    # connection closed on unread bytes is reset, and the client lost the answer while
    # still sending (the fuzzing run saw it with a 2 MB body sent straight to gunicorn).
    body = b'{"standard": "ISO 9001", "note": "' + b"x" * 3_000_000 + b'"}'
    direct = socket.create_connection(("127.0.0.1", edge.upstream), 60)
    direct.sendall(
        b"POST /api/v1/firms/1/certifications HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:1_000_000]
    )
    time.sleep(1)  # the worker has decided by now, with most of the body unread
    status, headers, answer = exchange(direct, body[1_000_000:])
    assert status == 401 and values(headers, "WWW-Authenticate"), answer[:300]

    # The client's address reaches the app (ProxyFix on, one proxy), not nginx's, and
    # not what the client claims in its own X-Forwarded-For.
    probe = edge.connect(source=CLIENT_ADDRESS)
    exchange(probe, http_request("GET", "/healthz?probe=xff", X_Forwarded_For="203.0.113.9"))

    def logged() -> list[str]:
        return [
            line.split()[0]
            for line in edge.access_log.read_text().splitlines()
            if "probe=xff" in line
        ]

    deadline = time.monotonic() + 30
    while not logged() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert logged() == [CLIENT_ADDRESS]

    # Names that are not the site's get nothing: no TLS handshake, no answer over HTTP.
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        edge.connect(name=FORGED)
    plain = socket.create_connection(("127.0.0.1", edge.http), 60)
    plain.sendall(http_request("GET", "/", host=FORGED))
    try:
        answer = plain.recv(65536)
    except ConnectionResetError:
        answer = b""
    plain.close()
    assert answer == b""  # nginx's 444: the connection closed without a word
    plain = socket.create_connection(("127.0.0.1", edge.http), 60)
    status, headers, _ = exchange(plain, http_request("GET", "/suppliers/?q=x", host=SITE))
    assert status == 301 and values(headers, "Location") == [f"https://{SITE}/suppliers/?q=x"]
    # And gunicorn itself refuses a forged Host.
    direct = socket.create_connection(("127.0.0.1", edge.upstream), 60)
    assert exchange(direct, http_request("GET", "/", host=FORGED))[0] == 400
