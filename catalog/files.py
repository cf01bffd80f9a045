"""Uploaded files kept by the catalog: evidence of checks, photos of needed parts.

Files are judged by their bytes, never by the name or the type the browser claims: the
first bytes say the type, then an image must decode whole with Pillow (a JPEG header
over an HTML page, a truncated or corrupt image, a decompression bomb are refused) and
a PDF must have its header and its end-of-file trailer. Files are stored once per
content under their SHA-256 digest (two officers uploading the same certificate scan
keep one copy). The database row keeps the name people gave.

Photos, which are shown inline to whoever may read the need, are stored re-encoded
(``clean_image``): only the pixels survive, so neither the camera's metadata (GPS
position of the factory, serial numbers) nor anything hidden in comments, profiles or
after the image's end is ever served. Evidence is kept byte for byte (it is what the
officer saw) and only ever served as a download with its checked type.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from .i18n import N_

# Recognised by the first bytes of the file: (signature, offset, content type).
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Larger than any phone or camera photo (50 MP); decoding one costs up to 200 MB. A
# decompression bomb is a small file that claims far more. Checked here rather than by
# lowering Pillow's process-wide ``Image.MAX_IMAGE_PIXELS``, which also guards the
# charts and reports the service draws itself (and raises only past twice its value).
MAX_IMAGE_PIXELS = 50_000_000
# Where a PDF's "%%EOF" may be: readers look for it in the last kilobyte.
PDF_TRAILER_WINDOW = 1024


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


class DamagedFile(ValueError):
    """The bytes start as an accepted type but are not a whole, sound file of it."""


class TooManyPixels(DamagedFile):
    """An image larger than ``MAX_IMAGE_PIXELS`` (what a decompression bomb claims)."""


def _open_image(data: bytes, content_type: str) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]])
    if image.width * image.height > MAX_IMAGE_PIXELS:
        image.close()
        raise TooManyPixels(f"{image.width}x{image.height}")
    return image


def check_image(data: bytes, content_type: str) -> None:
    """DamagedFile unless ``data`` is a whole image of ``content_type``: Pillow reads its
    structure (``verify``), then decodes every pixel (``load``: a truncated file fails
    there, Pillow's ``LOAD_TRUNCATED_IMAGES`` being off). Any error of any decoder on
    bytes a client sent means the same: not a sound image."""
    try:
        with _open_image(data, content_type) as image:
            image.verify()
        with _open_image(data, content_type) as image:
            image.load()
    except DamagedFile:
        raise
    except Image.DecompressionBombError as exc:
        raise TooManyPixels(str(exc)) from None
    except Exception as exc:  # decoders raise anything on hostile bytes
        raise DamagedFile(str(exc)) from None


def check_pdf(data: bytes) -> None:
    """DamagedFile unless the PDF has its header and its end-of-file trailer: a cut-off
    upload, or a header glued onto something else, has no ``%%EOF``."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
        raise DamagedFile("no PDF trailer")


def clean_image(data: bytes, content_type: str) -> bytes:
    """The image re-encoded in its own format with nothing but its pixels (first frame),
    turned upright as its EXIF orientation said (the orientation tag goes with the rest).
    ``data`` must have passed ``check_image``."""
    fmt = PILLOW_FORMATS[content_type]
    with _open_image(data, content_type) as image:
        image.seek(0)
        upright = ImageOps.exif_transpose(image)
        modes = {"JPEG": ("L", "RGB", "CMYK"), "WEBP": ("RGB", "RGBA")}.get(fmt)
        if modes is not None and upright.mode not in modes:
            has_alpha = "A" in upright.mode or "transparency" in upright.info
            upright = upright.convert("RGBA" if fmt == "WEBP" and has_alpha else "RGB")
        # No EXIF, XMP, ICC profile, comment or text chunk is written: only what the
        # pixels need (a palette image's transparent colour).
        kept = {"transparency": upright.info.get("transparency")} if fmt == "PNG" else {}
        upright.info = {k: v for k, v in kept.items() if v is not None}
        out = io.BytesIO()
        options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
        upright.save(out, fmt, **options)
    return out.getvalue()


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
        try:
            if content_type in IMAGES:
                check_image(upload.data, content_type)
            else:
                check_pdf(upload.data)
        except TooManyPixels:
            raise ValueError(
                N_(
                    "%(name)s is too large an image: at most %(megapixels)s megapixels.",
                    name=upload.filename or "?",
                    megapixels=MAX_IMAGE_PIXELS // 1_000_000,
                )
            ) from None
        except DamagedFile:
            raise ValueError(
                N_("%(name)s is damaged or incomplete.", name=upload.filename or "?")
            ) from None
        accepted.append((upload, content_type))
    return accepted
