"""Photos of needed parts: in a reverse exhibition each displayed part is a need, and a
photo tells a workshop at a glance whether it makes such a part."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from .files import IMAGES, Upload, check_uploads, safe_name, store, stored_path
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
    added = []
    for upload, content_type in accepted:
        photo = NeedPhoto(
            filename=safe_name(upload.filename),
            content_type=content_type,
            size=len(upload.data),
            sha256=store(root, upload.data),
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
