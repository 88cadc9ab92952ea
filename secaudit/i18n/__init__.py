"""Message catalogs (English and Vietnamese) for every user-facing string.

Catalogs are YAML files in ``catalogs/``, one per area of the code (``core.yaml``,
``load.yaml``, ``tls.yaml`` ...), each mapping a message key to ``{en: ..., vi: ...}``
with ``str.format`` placeholders. Files are merged at first use; a key defined twice is
a programming error caught by the test suite. Keeping English and Vietnamese side by
side makes a missing translation visible in review and testable.
"""

from __future__ import annotations

import contextvars
import os
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import yaml

LANGS = ("en", "vi")
DEFAULT_LANG = "en"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("secaudit_lang", default=None)


def lang_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the user's locale asks for: ``vi`` for a Vietnamese locale, else ``en``."""
    env = os.environ if environ is None else environ
    for var in ("SECAUDIT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in LANGS else DEFAULT_LANG
    return DEFAULT_LANG


def set_lang(lang: str | None) -> None:
    _current.set(lang if lang in LANGS else None)


def current_lang() -> str:
    return _current.get() or lang_from_environment()


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """All messages, merged from every catalog file."""
    merged: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files("secaudit.i18n").joinpath("catalogs").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = _load(entry.read_text(encoding="utf-8"))
        for key, texts in data.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} defined twice (second time in {entry.name})")
            merged[key] = texts
    return merged


_extra: dict[str, dict[str, str]] = {}


def add_messages(messages: Mapping[str, Mapping[str, str]], origin: str) -> None:
    """Add catalog entries from outside the package (a plug-in): each in English and Vietnamese, every key
    new. Raises ``ValueError`` (naming ``origin``) and adds nothing when one is not."""
    known = catalog()
    for key, texts in messages.items():
        if key in known or key in _extra:
            raise ValueError(f"{origin}: message key {key!r} is already defined")
        if not isinstance(texts, Mapping) or not all(isinstance(texts.get(lang), str) for lang in ("en", "vi")):
            raise ValueError(f"{origin}: message {key!r} needs an English and a Vietnamese text")
    _extra.update({key: {"en": texts["en"], "vi": texts["vi"]} for key, texts in messages.items()})


def catalog_files() -> dict[str, dict[str, dict[str, str]]]:
    """Each catalog file's messages, for tests that check completeness and duplicates."""
    out = {}
    for entry in resources.files("secaudit.i18n").joinpath("catalogs").iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name] = _load(entry.read_text(encoding="utf-8"))
    return out


def _load(text: str) -> dict[str, Any]:
    """A catalog file's messages, parsed by libyaml when available (every command pays this once)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:  # a missing placeholder shows as-is instead of crashing
        return "{" + key + "}"


def t(key: str, lang: str | None = None, /, **args: Any) -> str:
    """Translate ``key`` into ``lang`` (default: the current language) and fill placeholders."""
    lang = lang or current_lang()
    texts = catalog().get(key) or _extra.get(key)
    if texts is None:
        return key + (" " + repr(args) if args else "")
    text = texts.get(lang) or texts.get(DEFAULT_LANG) or key
    return text.format_map(_SafeDict(args))


def localized(value: Any, lang: str | None = None) -> str:
    """Pick the right language out of a ``{vi: ..., en: ...}`` mapping from data files (or pass a str through)."""
    if isinstance(value, Mapping):
        lang = lang or current_lang()
        return str(value.get(lang) or value.get(DEFAULT_LANG) or next(iter(value.values()), ""))
    return "" if value is None else str(value)
