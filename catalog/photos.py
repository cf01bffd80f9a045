"""Photos of needed parts: in a reverse exhibition each displayed part is a need, and a
photo tells a workshop at a glance whether it makes such a part.

A photo is shown inline to everyone who may read its need, often the public: it is
checked whole and stored re-encoded (``files.clean_image``), so the GPS position and
camera details a phone writes into it, and anything smuggled into its metadata or after
its end, never reach a reader."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from .files import IMAGES, Upload, check_uploads, clean_image, safe_name, store, stored_path
from .i18n import N_
from .models import Need, NeedPhoto
from .validation import ValidationError

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def add_photos(
    session: Session, need: Need, uploads: Iterable[Upload], root: Path
) -> list[NeedPhoto]:
    """Attach images to a need (at most ``MAX_PHOTOS`` in all); nothing is kept when
    one file is refused."""
    room = MAX_PHOTOS - len(need.photos)
    try:
        accepted = check_uploads(
            uploads, most=max(room, 0), max_bytes=MAX_PHOTO_BYTES, accept=IMAGES
        )
    except ValueError as exc:
        raise ValidationError({"photos": exc.args[0]}) from None
    cleaned = []
    for upload, content_type in accepted:
        try:
            cleaned.append((upload, content_type, clean_image(upload.data, content_type)))
        except Exception:  # decoded once already; an encoder's surprise is the file's fault
            message = N_("%(name)s is damaged or incomplete.", name=upload.filename or "?")
            raise ValidationError({"photos": message}) from None
    added = []
    for upload, content_type, data in cleaned:
        photo = NeedPhoto(
            filename=safe_name(upload.filename),
            content_type=content_type,
            size=len(data),
            sha256=store(root, data),
        )
        need.photos.append(photo)
        added.append(photo)
    session.commit()
    return added


def remove_photo(session: Session, photo: NeedPhoto) -> None:
    session.delete(photo)
    session.commit()


def photo_path(root: Path, photo: NeedPhoto) -> Path:
    return stored_path(root, photo.sha256)
