"""The translation-provider interface: text, source and target language → a rendering.

No offline machine translation of usable quality can be installed with the service
(docs/match-quality.md, "Reading the other language"), so the built-in provider is
the gloss of the vocabulary (``matching.translation.gloss``). A deployment with a
translation service of its own (an on-premise model, a cloud API) names a factory in
the ``TRANSLATION_PROVIDER`` setting, "package.module:factory"; the factory is called
once, with no arguments, and returns an object with a ``name`` and this ``translate``.
Whatever it returns is machine-made and shown as such, beside the original.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from catalog.translations import cached_rendering

DEFAULT_PROVIDER = "matching.translation.gloss:GlossProvider"


@dataclass(frozen=True)
class Part:
    """A piece of a rendering: rendered (``understood``) or left as the original wrote it."""

    text: str
    understood: bool = True


@dataclass(frozen=True)
class Rendering:
    text: str
    provider: str
    source_lang: str
    target_lang: str
    # In reading order; a provider that does not tell understood words apart gives one.
    parts: tuple[Part, ...] = ()
    machine_made: bool = True


@runtime_checkable
class TranslationProvider(Protocol):
    """What a provider is: a ``name`` that changes whenever its renderings would (the
    cache keys on it) and ``translate``."""

    name: str

    def translate(self, text: str, source_lang: str, target_lang: str) -> Rendering: ...


def load_provider(spec: str | None = None) -> TranslationProvider:
    """The provider a "package.module:factory" setting names (the gloss when unset).

    ValueError names the setting's fault: a malformed path, a module or factory that
    does not exist, or a factory whose result is no provider.
    """
    spec = (spec or "").strip() or DEFAULT_PROVIDER
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"TRANSLATION_PROVIDER: {spec!r} is not 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"TRANSLATION_PROVIDER: cannot import {module_name!r}: {exc}") from exc
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ValueError(f"TRANSLATION_PROVIDER: {module_name!r} has no factory {attribute!r}")
    provider = factory()
    if not isinstance(provider, TranslationProvider) or not getattr(provider, "name", ""):
        raise ValueError(f"TRANSLATION_PROVIDER: {spec!r} made no provider (name, translate)")
    return provider


def translate_cached(
    session: Session, provider: TranslationProvider, text: str, source_lang: str, target_lang: str
) -> Rendering:
    """``provider``'s rendering of ``text``, from the catalog's cache when it was made
    before (per provider, languages and text), else made now and stored."""

    def make() -> tuple[str, list[list] | None]:
        made = provider.translate(text, source_lang, target_lang)
        parts = [[p.text, p.understood] for p in made.parts] if made.parts else None
        return made.text, parts

    rendering, parts = cached_rendering(
        session, provider.name, source_lang, target_lang, text, make
    )
    pieces = tuple(Part(str(t), bool(u)) for t, u in parts or ()) or (Part(rendering),)
    return Rendering(rendering, provider.name, source_lang, target_lang, pieces)


ProviderFactory = Callable[[], TranslationProvider]
