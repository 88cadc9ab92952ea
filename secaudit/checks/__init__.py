"""Registry of checks by the name policies use. Explicit: each family lists its checks.

Checks defined outside the package (a test, a plug-in family) are added with :func:`registered`
for the length of a ``with`` block, beside :func:`secaudit.probes.registry.registered` for their family.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from secaudit.checks import cert, discover, hsts, http_redirect, mail, ports, sectxt, ssh, tls, web
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


@contextlib.contextmanager
def registered(*specs: CheckSpec) -> Iterator[None]:
    """``with registered(spec, ...):`` — extra checks exist for the length of the block (names must be new)."""
    added: list[str] = []
    try:
        for spec in specs:
            if spec.name in REGISTRY:
                raise ValueError(f"check {spec.name!r} is already registered")
            REGISTRY[spec.name] = spec
            added.append(spec.name)
        yield
    finally:
        for name in added:
            REGISTRY.pop(name, None)


__all__ = ["REGISTRY", "CheckContext", "CheckSpec", "registered"]
