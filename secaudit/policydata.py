"""Policy data files (a classification regime, a requirement catalogue): one way to read them.

A file is read with positions (:mod:`secaudit.yamlread`: duplicate keys, alias bombs, non-regular files
refused), checked against its kind's published schema (:mod:`secaudit.schemacheck`: unknown keys with a
"did you mean"), then built by the kind's own function, which checks what a schema cannot. Every problem
is an :class:`~secaudit.errors.InputError` at file:line:col. A file loaded by path is built once per
process (policy data does not change under a run): :func:`load` is cached per path and builder.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, TypeVar

from secaudit.errors import InputError
from secaudit.schemacheck import schema_diagnostics
from secaudit.yamlread import YamlDoc, read_yaml_file, read_yaml_text

T = TypeVar("T")


def checked(doc: YamlDoc, kind: str, build: Callable[[YamlDoc], T]) -> T:
    """``build(doc)`` once ``doc`` passes the ``kind`` schema (``secaudit/schemas/<kind>.schema.json``)."""
    problems = schema_diagnostics(doc, kind)
    if problems:
        raise InputError(problems)
    return build(doc)


def load(path: str, kind: str, build: Callable[[YamlDoc], T]) -> T:
    """The ``kind`` file at ``path`` (as written: errors name it so), built by ``build``; cached per path."""
    return _load_cached(path, kind, build)


def parse(text: str, filename: str, kind: str, build: Callable[[YamlDoc], T]) -> T:
    """The ``kind`` file whose text is ``text`` (errors name ``filename``); not cached."""
    doc, problems = read_yaml_text(filename, text)
    if doc is None or problems:
        raise InputError(problems)
    return checked(doc, kind, build)


@lru_cache(maxsize=32)
def _load_cached(path: str, kind: str, build: Callable[[YamlDoc], Any]) -> Any:
    doc, problems = read_yaml_file(path)
    if doc is None or problems:
        raise InputError(problems)
    return checked(doc, kind, build)
