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
import re
from collections.abc import Callable, Iterable
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


def counted(
    uploads: Iterable[Upload],
    check: Callable[[Upload], str],
    *,
    most: int,
    max_bytes: int,
) -> list[tuple[Upload, str]]:
    """The non-empty uploads with the content type ``check`` gives each; ValueError (a
    translatable message naming the file) for too many or too large files, or whatever
    ``check`` refuses."""
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
        accepted.append((upload, check(upload)))
    return accepted


def check_whole(upload: Upload, content_type: str) -> str:
    """``content_type`` once the file proves whole (an image that decodes within the
    pixel limit, a PDF with its trailer, a drawing with its ending); ValueError (a
    translatable message naming the file) otherwise."""
    name = upload.filename or "?"
    try:
        if content_type in IMAGES:
            check_image(upload.data, content_type)
        elif content_type in DRAWINGS:
            check_drawing(upload.data, content_type)
        else:
            check_pdf(upload.data)
    except TooManyPixels:
        raise ValueError(
            N_(
                "%(name)s is too large an image: at most %(megapixels)s megapixels.",
                name=name,
                megapixels=MAX_IMAGE_PIXELS // 1_000_000,
            )
        ) from None
    except DamagedFile:
        raise ValueError(N_("%(name)s is damaged or incomplete.", name=name)) from None
    return content_type


def check_uploads(
    uploads: Iterable[Upload],
    *,
    most: int,
    max_bytes: int,
    accept: frozenset[str] | None = None,
) -> list[tuple[Upload, str]]:
    """Evidence and photos: PDFs and images (``accept`` narrows them), each whole."""

    def check(upload: Upload) -> str:
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
        return check_whole(upload, content_type)

    return counted(uploads, check, most=most, max_bytes=max_bytes)


# -- drawings and attachments of deals ------------------------------------------------------
#
# A deal's conversation and quotes carry drawings besides PDFs and images. Each format is
# recognised by its own structure, never by the file name: STEP (ISO 10303-21) opens
# with its header keyword; IGES is a file of 80-column records whose 73rd column names
# the section (Start, Global, Directory, Parameter, Terminate), the first record a Start
# one; an ASCII DXF opens with the group code 0 and SECTION, a binary DXF with its
# sentinel. As a PDF must end with its trailer, a drawing must end as its format says
# (``END-ISO-10303-21;``, a Terminate record, the EOF group): a cut-off upload is refused.

STEP = "model/step"
IGES = "model/iges"
DXF = "image/vnd.dxf"
DRAWINGS = frozenset({STEP, IGES, DXF})
ATTACHMENTS = IMAGES | DRAWINGS | {"application/pdf"}
# The file name extension each accepted type is offered under (file inputs' ``accept``).
ATTACHMENT_EXTENSIONS = ".pdf,.jpg,.jpeg,.png,.webp,.step,.stp,.iges,.igs,.dxf"
DXF_BINARY_SENTINEL = b"AutoCAD Binary DXF\r\n\x1a\x00"
IGES_SECTIONS = frozenset("SGDPT")
_DXF_START = re.compile(rb"\A\s*(?:999[ \t]*\r?\n[^\n]*\n\s*)*0[ \t]*\r?\n\s*SECTION[ \t]*\r?\n")
_BOM = b"\xef\xbb\xbf"


def _iges_records(data: bytes, most: int | None = None) -> list[bytes]:
    lines = data.split(b"\n", most) if most else data.split(b"\n")
    records = [line.rstrip(b"\r") for line in (lines[:most] if most else lines)]
    return [r for r in records if r.strip()]


def _is_iges(data: bytes) -> bool:
    """The first records are 80-column IGES records, the first of them a Start one."""
    if b"\x00" in data[:4096]:
        return False
    records = _iges_records(data[:8192], most=20)
    if not records or len(records[0]) < 73 or records[0][72:73] != b"S":
        return False
    # The last record read may be cut by the 8 KB window: judge the whole ones.
    whole = records[:-1] if len(records) > 1 and len(data) > 8192 else records
    return all(len(r) >= 73 and chr(r[72]) in IGES_SECTIONS for r in whole)


def sniff_drawing(data: bytes) -> str | None:
    """The content type of a STEP, IGES or DXF drawing judged by its bytes, or None."""
    head = data[:4096]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    if head.lstrip().startswith(b"ISO-10303-21;"):
        return STEP
    if head.startswith(DXF_BINARY_SENTINEL) or _DXF_START.match(head):
        return DXF
    if _is_iges(data):
        return IGES
    return None


def check_drawing(data: bytes, content_type: str) -> None:
    """DamagedFile unless the drawing ends as its format says it must."""
    tail = data[-PDF_TRAILER_WINDOW:]
    if content_type == STEP:
        if b"END-ISO-10303-21;" not in tail:
            raise DamagedFile("no END-ISO-10303-21")
    elif content_type == IGES:
        records = _iges_records(tail)
        last = records[-1] if records else b""
        if len(last) < 73 or last[72:73] != b"T":
            raise DamagedFile("no IGES Terminate record")
        if any(len(r) >= 73 and chr(r[72]) not in IGES_SECTIONS for r in records[1:]):
            raise DamagedFile("not IGES records")
    elif content_type == DXF:
        if data.startswith(DXF_BINARY_SENTINEL):
            if b"EOF" not in data[-16:]:
                raise DamagedFile("no binary DXF end")
        elif tail.split()[-1:] != [b"EOF"]:
            raise DamagedFile("no DXF EOF group")


def check_attachment(upload: Upload) -> str:
    """The checked content type of a deal's attachment: a whole PDF, image, or STEP,
    IGES or DXF drawing; ValueError (a translatable message naming the file) for
    anything else, whatever its name says."""
    name = upload.filename or "?"
    content_type = sniff(upload.data) or sniff_drawing(upload.data)
    if content_type is None:
        raise ValueError(
            N_(
                "%(name)s is not a PDF, an image (JPEG, PNG, WebP) or a drawing (STEP, IGES, DXF).",
                name=name,
            )
        )
    return check_whole(upload, content_type)


def check_attachments(
    uploads: Iterable[Upload], *, most: int, max_bytes: int
) -> list[tuple[Upload, str]]:
    """The non-empty attachments with their checked content types (``check_attachment``);
    ValueError for too many, too large or refused files."""
    return counted(uploads, check_attachment, most=most, max_bytes=max_bytes)
