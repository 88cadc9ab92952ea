"""Which facts dataclass the observations of each probe kind carry: an explicit table, plus run-time
registration for plug-in families (done by :func:`secaudit.probes.registry.register`).

The serialisation layer decodes an observation's facts by its kind from here, so reading a journal, a
results file or a stored run needs no probe module. The table matches the probe families one to one
(``tests/unit/test_import_graph.py`` checks it).
"""

from __future__ import annotations

from secaudit.observations.discover import DiscoveryFacts
from secaudit.observations.host import HostFacts
from secaudit.observations.http import HttpRedirect
from secaudit.observations.mail import MailFacts
from secaudit.observations.ports import PortScan
from secaudit.observations.tls import TlsFacts
from secaudit.observations.web import SecurityTxtFacts, WebHeaders

BUILTIN: dict[str, type] = {
    "tls": TlsFacts, "ports": PortScan, "http": HttpRedirect, "mail": MailFacts, "web": WebHeaders,
    "sectxt": SecurityTxtFacts, "discover": DiscoveryFacts, "host": HostFacts,
}

_extra: dict[str, type] = {}


def facts_types() -> dict[str, type]:
    """kind -> the facts dataclass its observations carry: built-in kinds, then registered ones in order."""
    return {**BUILTIN, **_extra}


def kinds() -> tuple[str, ...]:
    return tuple(facts_types())


def register(kind: str, facts_type: type) -> None:
    """Add the facts type of a plug-in kind; a built-in or already registered kind is never replaced."""
    if kind in BUILTIN or kind in _extra:
        raise ValueError(f"facts of probe kind {kind!r} are already registered")
    _extra[kind] = facts_type


def unregister(kind: str) -> None:
    """Remove a kind added with :func:`register` (built-in kinds stay)."""
    _extra.pop(kind, None)
