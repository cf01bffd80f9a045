"""Time from a clean clone to the first page served by `make run`.

    python3 bench/first_page.py [--repo .] [--port 5090]

Clones the repository into a temporary folder, runs `make run` there (virtual
environment, install, migrations, demo catalog, index, worker, server) and reports
the seconds until http://127.0.0.1:PORT/ answers 200, then stops it with Ctrl-C.
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default=".")
    parser.add_argument("--port", type=int, default=5090)
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = os.path.join(tmp, "ketnoi")
        subprocess.run(["git", "clone", "--quiet", os.path.abspath(args.repo), clone], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "VIRTUAL_ENV"))}
        env.pop("KETNOI_DATA_DIR", None)
        started = time.perf_counter()
        log = open(os.path.join(tmp, "run.log"), "w")  # noqa: SIM115
        proc = subprocess.Popen(
            ["make", "run", f"PORT={args.port}"],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        first_page = None
        try:
            while time.perf_counter() - started < args.timeout and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/", timeout=5) as r:
                        if r.status == 200:
                            first_page = time.perf_counter() - started
                            break
                except OSError:
                    time.sleep(1)
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)
            log.close()
        print(
            json.dumps(
                {"seconds_to_first_page": None if first_page is None else round(first_page, 1)}
            )
        )


if __name__ == "__main__":
    main()
