"""The cache of machine renderings: each text rendered once per provider and language pair.

The catalog knows nothing of how a rendering is made (matching.translation does): the
caller passes a function that makes it, called only when none is stored. Renderings are
written in a session of their own and committed at once, so a page that renders a text
while it is read neither commits the request's own work nor waits for it; two processes
rendering the same text at the same time keep the first one stored.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .models import Translation
from .text import nfc_lines

log = logging.getLogger(__name__)

# What a provider makes: the rendering's text and its parts ([text, understood] pairs,
# or None when the provider does not tell understood words from the rest).
Made = tuple[str, list[list] | None]


def text_digest(text: str) -> str:
    """The key of a text: SHA-256 of its NFC form with its lines kept."""
    return hashlib.sha256(nfc_lines(text).encode("utf-8")).hexdigest()


def stored_rendering(
    session: Session, provider: str, source_lang: str, target_lang: str, text: str
) -> Translation | None:
    """The rendering stored for ``text`` by ``provider``, or None."""
    return session.scalar(
        select(Translation).where(
            Translation.provider == provider,
            Translation.source_lang == source_lang,
            Translation.target_lang == target_lang,
            Translation.digest == text_digest(text),
        )
    )


def cached_rendering(
    session: Session,
    provider: str,
    source_lang: str,
    target_lang: str,
    text: str,
    make: Callable[[], Made],
) -> Made:
    """The stored rendering of ``text``, or the one ``make`` returns, stored on the way.

    A failure to store (a concurrent writer won, a locked database) still returns the
    rendering just made: the cache saves work, it is never a reason to show nothing.
    """
    key = (provider, source_lang, target_lang, text_digest(text))
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
            return kept
    found = stored_rendering(session, provider, source_lang, target_lang, text)
    if found is not None:
        return _keep(key, (found.rendering, found.parts))
    rendering, parts = make()
    with Session(bind=session.get_bind()) as own:
        own.add(
            Translation(
                provider=provider,
                source_lang=source_lang,
                target_lang=target_lang,
                digest=text_digest(text),
                rendering=rendering,
                parts=parts,
            )
        )
        try:
            own.commit()
        except (IntegrityError, OperationalError) as exc:  # stored meanwhile, or locked
            own.rollback()
            log.info("rendering not cached (%s): %s", provider, exc.__class__.__name__)
            return rendering, parts
    return _keep(key, (rendering, parts))


# Stored renderings are never changed (a text's digest names them), so each process
# keeps the last ones it read: a buyer's need page renders twenty match cards' texts,
# one query each before (docs/benchmarks.md, "Every page at 100k").
KEPT = 4096
_kept: OrderedDict[tuple[str, str, str, str], Made] = OrderedDict()
_kept_lock = threading.Lock()


def _keep(key: tuple[str, str, str, str], made: Made) -> Made:
    with _kept_lock:
        _kept[key] = made
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return made
