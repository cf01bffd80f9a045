"""Run a command with throwaway PostgreSQL and Redis servers on loopback.

``python -m tests.services pytest -q`` starts a fresh PostgreSQL cluster and a Redis
server in a temporary folder, each on a free port on 127.0.0.1, runs the command with
``KETNOI_TEST_DATABASE_URL`` and ``KETNOI_TEST_REDIS_URL`` pointing at them (the test
fixtures then use them instead of SQLite and the filesystem broker), and stops both
servers afterwards, whatever the command's outcome. The servers come from Debian's
``postgresql`` and ``redis-server`` packages (``make services`` installs them).

The cluster trades durability for speed (no fsync): it only ever holds test data.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DB_USER = "ketnoi"
DB_NAME = "ketnoi_test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port}:\n{log.read_text()[-2000:]}")


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise SystemExit(f"PostgreSQL's {name} was not found: run `make services` first")


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` account."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    data = workdir / "pgdata"
    sockets = workdir / "pgsocket"
    for folder in (data, sockets):
        folder.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        for folder in (data, sockets):
            shutil.chown(folder, "postgres")
    subprocess.run(
        _as_server_user(
            [
                _postgres_bin("initdb"),
                *("-D", str(data), "-U", DB_USER, "--auth=trust"),
                *("--encoding=UTF8", "--locale=C.UTF-8"),
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    log = workdir / "postgres.log"
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(sockets),
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",
    }
    flags = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
    with log.open("w") as out:
        proc = subprocess.Popen(
            _as_server_user([_postgres_bin("postgres"), "-D", str(data), *flags]),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, log)
        url = f"postgresql://{DB_USER}@127.0.0.1:{port}"
        for _ in range(50):  # listening precedes accepting connections by a moment
            made = subprocess.run(
                [shutil.which("createdb") or _postgres_bin("createdb"), "-h", "127.0.0.1"]
                + ["-p", str(port), "-U", DB_USER, DB_NAME],
                capture_output=True,
                text=True,
            )
            if made.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"createdb failed: {made.stderr}")
        yield f"{url}/{DB_NAME}"
    finally:
        stop_process(proc)


@contextlib.contextmanager
def redis(workdir: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if not server:
        raise SystemExit("redis-server was not found: run `make services` first")
    port = free_port()
    log = workdir / "redis.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(workdir)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="ketnoi-services-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        with postgres(workdir) as database_url, redis(workdir) as redis_url:
            env = {
                **os.environ,
                "KETNOI_TEST_DATABASE_URL": database_url,
                "KETNOI_TEST_REDIS_URL": redis_url,
            }
            print(f"PostgreSQL at {database_url}, Redis at {redis_url}", flush=True)
            return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
