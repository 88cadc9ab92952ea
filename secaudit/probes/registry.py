"""The probe families secaudit knows: an explicit tuple, plus run-time registration for plug-ins.

Everything that depends on the set of families reads it from here: the plan (needs -> kinds,
targets, probe parameters), evaluation (which observation serves a target), the serialisation
layer (facts decoded by kind), the CLI's ``--only`` choices, the results schema's family list and
the construction of runners. Nothing registers itself on import.

    >>> from secaudit.probes import registry
    >>> registry.kinds()[:3]
    ('tls', 'ports', 'http')
    >>> registry.kind_of_need("nse:ssh2-enum-algos")
    'ports'

A family defined outside the package (a test, a site-specific plug-in) is added with
:func:`register` / :func:`unregister`, or for the length of a ``with`` block with :func:`registered`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Iterable, Iterator, Mapping, Sequence

from secaudit.observations import registry as facts_registry
from secaudit.probes.discover import DiscoverFamily
from secaudit.probes.families import PortsFamily, TlsFamily
from secaudit.probes.host import HostFamily
from secaudit.probes.http import HttpFamily
from secaudit.probes.mail import MailFamily
from secaudit.probes.web import SecurityTxtFamily, WebFamily
from secaudit.probes.interface import BaseFamily, FamilyOption, ProbeFamily, ProbeRunner, RunnerContext, need_prefix

BUILTIN: tuple[ProbeFamily, ...] = (TlsFamily(), PortsFamily(), HttpFamily(), MailFamily(), WebFamily(),
                                     SecurityTxtFamily(), DiscoverFamily(), HostFamily())

_extra: dict[str, ProbeFamily] = {}


class _Unregistered(BaseFamily):
    """Stands in for a kind no family provides: generic targets, and no probe is ever planned for it
    (so every control needing it is judged "not measured", never passed)."""

    provides = frozenset()
    facts_type = object

    def __init__(self, kind: str):
        self.kind = kind


def families() -> tuple[ProbeFamily, ...]:
    """Every family: the built-in ones, then those registered at run time, in registration order."""
    return BUILTIN + tuple(_extra.values())


def kinds() -> tuple[str, ...]:
    return tuple(f.kind for f in families())


def get(kind: str) -> ProbeFamily:
    """The family of ``kind``; ``KeyError`` when none is registered."""
    for f in families():
        if f.kind == kind:
            return f
    raise KeyError(kind)


def family_or_generic(kind: str) -> ProbeFamily:
    """The family of ``kind``, or a stand-in with the default target rules when none is registered."""
    try:
        return get(kind)
    except KeyError:
        return _Unregistered(kind)


def _prefixes() -> dict[str, str]:
    return {prefix: f.kind for f in families() for prefix in f.provides}


def kind_of_need(need: str) -> str:
    """The family providing a measurement: ``"tls:protocols"`` -> ``"tls"``, ``"nse:..."`` -> ``"ports"``.
    A need no family provides maps to its own prefix (and is then never measured)."""
    prefix = need_prefix(need)
    return _prefixes().get(prefix, prefix)


def facts_types() -> dict[str, type]:
    """kind -> the facts dataclass its observations carry (decoded with its ``from_dict``)."""
    return {f.kind: f.facts_type for f in families()}


def options_of(family: ProbeFamily) -> tuple[FamilyOption, ...]:
    """The run options ``family`` owns (none when it declares none)."""
    return tuple(getattr(family, "options", ()))


def family_options() -> tuple[tuple[str, FamilyOption], ...]:
    """(kind, option) for every option of every family, in family then declaration order."""
    return tuple((f.kind, o) for f in families() for o in options_of(f))


def option_values(kind: str, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the runner of ``kind`` gets as ``RunnerContext.options``: every option of the family, the
    ``given`` value (JSON form accepted, normalised by the option's ``validate``) or its default.
    ``ValueError`` names an option the family does not have; a value the option refuses raises as its
    ``normalise`` does."""
    given = dict(given or {})
    declared = {o.name: o for o in options_of(family_or_generic(kind))}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValueError(f"the {kind} family has no option {', '.join(unknown)}")
    return {name: (o.normalise(given[name]) if name in given else o.default) for name, o in declared.items()}


def runners(ctx: RunnerContext, wanted: Iterable[str] | None = None,
            options: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, ProbeRunner]:
    """Runners of the ``wanted`` kinds (default: all), each given its family's options (``options``: kind ->
    the values set, defaults for the rest). Each family's tools are checked first, so a missing nmap is a
    clear error (exit 2) before any probe runs."""
    chosen = [f for f in families() if wanted is None or f.kind in set(wanted)]
    for f in chosen:
        f.check_tools()
    return {f.kind: f.runner(dataclasses.replace(ctx, options=option_values(f.kind, (options or {}).get(f.kind))))
            for f in chosen}


def register(family: ProbeFamily) -> None:
    """Add a family. Its kind and need prefixes must be new: a plug-in never silently replaces another."""
    if family.kind in kinds():
        raise ValueError(f"probe family {family.kind!r} is already registered")
    taken = _prefixes()
    clash = sorted(p for p in family.provides if p in taken)
    if clash:
        raise ValueError(f"need prefixes {clash} of {family.kind!r} are already provided by "
                         f"{sorted({taken[p] for p in clash})}")
    owners = {o.name: kind for kind, o in family_options()}
    names = [o.name for o in options_of(family)]
    clash = sorted({n for n in names if n in owners} | {n for n in names if names.count(n) > 1})
    if clash:           # one command line for every family: an option name is one family's
        raise ValueError(f"options {clash} of {family.kind!r} are already options of "
                         f"{sorted({owners.get(n, family.kind) for n in clash})}")
    facts_registry.register(family.kind, family.facts_type)
    _extra[family.kind] = family


def unregister(kind: str) -> None:
    """Remove a family added with :func:`register` (built-in families stay)."""
    if _extra.pop(kind, None) is not None:
        facts_registry.unregister(kind)


@contextlib.contextmanager
def registered(*extra: ProbeFamily) -> Iterator[Sequence[ProbeFamily]]:
    """``with registered(MyFamily()):`` — the families exist for the length of the block."""
    done: list[str] = []
    try:
        for f in extra:
            register(f)
            done.append(f.kind)
        yield extra
    finally:
        for kind in done:
            unregister(kind)


def params_makers() -> Mapping[str, object]:
    """kind -> the family's pure ``params`` function (what ``plan.build_plan`` calls)."""
    return {f.kind: f.params for f in families()}
