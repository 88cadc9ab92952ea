"""Registry of checks by the name policies use. Explicit: each family lists its checks.

Checks defined outside the package (a test, a plug-in family) are added with :func:`registered`
for the length of a ``with`` block, beside :func:`secaudit.probes.registry.registered` for their family.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from secaudit.checks import cert, discover, host, hsts, http_redirect, mail, ports, sectxt, ssh, tls, web
from secaudit.checks.base import CheckContext, CheckSpec

_FAMILIES: tuple[tuple[CheckSpec, ...], ...] = (
    tls.CHECKS,
    cert.CHECKS,
    hsts.CHECKS,
    ports.CHECKS,
    ssh.CHECKS,
    http_redirect.CHECKS,
    mail.CHECKS,
    web.CHECKS,
    sectxt.CHECKS,
    discover.CHECKS,
    host.CHECKS,
)


def _build() -> dict[str, CheckSpec]:
    registry: dict[str, CheckSpec] = {}
    for family in _FAMILIES:
        for spec in family:
            if spec.name in registry:
                raise RuntimeError(f"check {spec.name!r} registered twice")
            registry[spec.name] = spec
    return registry


REGISTRY: dict[str, CheckSpec] = _build()


def register(*specs: CheckSpec) -> None:
    """Add checks defined outside the package (a plug-in). Names must be new: a check is never silently
    replaced. All or nothing: ``ValueError`` naming the first taken name, and nothing is added."""
    names = [spec.name for spec in specs]
    taken = next((n for i, n in enumerate(names) if n in REGISTRY or n in names[:i]), None)
    if taken is not None:
        raise ValueError(f"check {taken!r} is already registered")
    REGISTRY.update({spec.name: spec for spec in specs})


def unregister(*names: str) -> None:
    """Remove checks added with :func:`register` (a name that is not there is ignored)."""
    for name in names:
        REGISTRY.pop(name, None)


@contextlib.contextmanager
def registered(*specs: CheckSpec) -> Iterator[None]:
    """``with registered(spec, ...):`` — extra checks exist for the length of the block (names must be new)."""
    register(*specs)
    try:
        yield
    finally:
        unregister(*(spec.name for spec in specs))


__all__ = ["REGISTRY", "CheckContext", "CheckSpec", "register", "registered", "unregister"]
