"""Uploaded files kept by the catalog: evidence of checks, photos of needed parts.

Files are judged by their first bytes, never by the name or the type the browser
claims, and stored once per content under their SHA-256 digest (two officers uploading
the same certificate scan keep one copy). The database row keeps the name people gave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .i18n import N_

# Recognised by the first bytes of the file: (signature, offset, content type).
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the user gave it and its bytes."""

    filename: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type of a file judged by its bytes, or None if not accepted."""
    for magic, offset, content_type in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return content_type
    return None


def stored_path(root: Path, sha256: str) -> Path:
    return Path(root) / sha256[:2] / sha256


def store(root: Path, data: bytes) -> str:
    """Write ``data`` under its digest (atomically, once) and return the digest."""
    digest = hashlib.sha256(data).hexdigest()
    path = stored_path(root, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return digest


def safe_name(name: str) -> str:
    """The last part of a client's file name, printable, at most 200 characters."""
    name = Path(name.replace("\\", "/")).name.strip() or "file"
    return "".join(ch for ch in name if ch.isprintable())[:200]


def check_uploads(
    uploads: Iterable[Upload],
    *,
    most: int,
    max_bytes: int,
    accept: frozenset[str] | None = None,
) -> list[tuple[Upload, str]]:
    """The non-empty uploads with their content types; ValueError (a translatable
    message naming the file) for too many, too large or unaccepted files."""
    uploads = [u for u in uploads if u.data]
    if len(uploads) > most:
        raise ValueError(N_("At most %(count)s files at a time.", count=most))
    accepted = []
    for upload in uploads:
        if len(upload.data) > max_bytes:
            raise ValueError(
                N_(
                    "%(name)s is larger than %(mb)s MB.",
                    name=upload.filename or "?",
                    mb=max_bytes // (1024 * 1024),
                )
            )
        content_type = sniff(upload.data)
        if content_type is None or (accept is not None and content_type not in accept):
            message = (
                N_("%(name)s is not a JPEG, PNG or WebP image.", name=upload.filename or "?")
                if accept == IMAGES
                else N_(
                    "%(name)s is not a PDF, JPEG, PNG or WebP file.", name=upload.filename or "?"
                )
            )
            raise ValueError(message)
        accepted.append((upload, content_type))
    return accepted
