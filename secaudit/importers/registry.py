"""The importers secaudit knows: an explicit tuple, plus run-time registration for plug-ins.

    >>> from secaudit.importers import registry
    >>> registry.names()
    ('greenbone', 'nessus', 'nuclei', 'openscap', 'lynis')

Nothing registers itself on import. ``--tool auto`` asks each importer in this order whether it
recognises the file's content; exactly one must.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

from secaudit.importers.greenbone import GreenboneImporter
from secaudit.importers.interface import Head, Importer, classify_head
from secaudit.importers.lynis import LynisImporter
from secaudit.importers.nessus import NessusImporter
from secaudit.importers.nuclei import NucleiImporter
from secaudit.importers.openscap import OpenscapImporter
from secaudit.importers.model import ImportedReport
from secaudit.importers.source import MAX_BYTES, ImportFileError, read_head

BUILTIN: tuple[Importer, ...] = (GreenboneImporter(), NessusImporter(), NucleiImporter(), OpenscapImporter(),
                                 LynisImporter())
AUTO = "auto"

_extra: dict[str, Importer] = {}


def importers() -> tuple[Importer, ...]:
    return BUILTIN + tuple(_extra.values())


def names() -> tuple[str, ...]:
    return tuple(i.name for i in importers())


def get(name: str) -> Importer:
    for i in importers():
        if i.name == name:
            return i
    raise KeyError(name)


def register(importer: Importer) -> None:
    """Add an importer; its name must be new (a plug-in never replaces another)."""
    if not isinstance(importer, Importer):
        raise ValueError(f"{importer!r} is not an importer (name, title, category, recognises, parse)")
    if importer.name in names() or importer.name == AUTO:
        raise ValueError(f"importer {importer.name!r} is already registered")
    _extra[importer.name] = importer


def unregister(name: str) -> None:
    _extra.pop(name, None)


@contextlib.contextmanager
def registered(*extra: Importer) -> Iterator[Sequence[Importer]]:
    done: list[str] = []
    try:
        for i in extra:
            register(i)
            done.append(i.name)
        yield extra
    finally:
        for name in done:
            unregister(name)


def head_of(file: str, max_bytes: int = MAX_BYTES) -> Head:
    return classify_head(file, read_head(file, max_bytes))


def recognise(file: str, max_bytes: int = MAX_BYTES) -> Importer | None:
    """The importer whose format ``file``'s content is, or None."""
    head = head_of(file, max_bytes)
    for i in importers():
        if i.recognises(head):
            return i
    return None


def choose(file: str, tool: str = AUTO, max_bytes: int = MAX_BYTES) -> Importer:
    """The importer for ``file``: the one named, after checking the content is that tool's (a file of
    another tool is refused, naming what it looks like), or the one that recognises it."""
    head = head_of(file, max_bytes)
    found = next((i for i in importers() if i.recognises(head)), None)
    if tool == AUTO:
        if found is None:
            raise ImportFileError(file, 0, 0, "import.unknown_format", tools=", ".join(names()))
        return found
    try:
        wanted = get(tool)
    except KeyError:
        raise ImportFileError(file, 0, 0, "import.unknown_tool", tool=tool, tools=", ".join(names())) from None
    if not wanted.recognises(head):
        raise ImportFileError(file, 0, 0, "import.wrong_tool", tool=wanted.title,
                              found=found.title if found else "-")
    return wanted


def parse(file: str, tool: str = AUTO, max_bytes: int = MAX_BYTES) -> ImportedReport:
    return choose(file, tool, max_bytes).parse(file, max_bytes)
