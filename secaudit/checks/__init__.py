"""Registry of checks by the name policies use. Explicit: each family lists its checks."""

from __future__ import annotations

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

__all__ = ["REGISTRY", "CheckContext", "CheckSpec"]
