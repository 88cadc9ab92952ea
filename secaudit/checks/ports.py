"""Port exposure checks: only declared ports open; no cleartext/legacy service, whatever its port."""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.checks._common import evidence, observation_or_error, unreachable
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Evidence, Message, Outcome, Verdict
from secaudit.observations.ports import Coverage, PortFact, PortScan
from secaudit.targets import validate_port

# Cleartext or legacy remote-access services (design §8.6): names as nmap -sV reports them.
DEFAULT_FORBIDDEN_SERVICES = ("telnet", "ftp", "tftp", "exec", "login", "shell", "rlogin", "rsh", "vnc")
DEFAULT_FORBIDDEN_PORTS = (21, 23, 69, 512, 513, 514, 5900)


def coverage_kind(c: Coverage) -> tuple[str, dict[str, Any]]:
    """Which sentence states the coverage, and its arguments: top / range / all / declared."""
    spec = c.spec
    if spec == "1-65535":
        return "all", {}
    if spec.startswith("top-") and "+" not in spec:
        return "top", {"n": int(spec[4:])}
    if spec:
        return "range", {"range": spec}
    return "declared", {}


def coverage_evidence(scan: PortScan) -> Evidence:
    c = scan.coverage
    text = f"{scan.scanned_count} = {c.spec or '-'} + declared/watched"
    if c.source:
        text += f" [{c.source}" + (f"; level default {c.default}" if c.default and c.default != c.spec else "") + "]"
    return evidence("ports.evidence.coverage", text)


def coverage_warnings(scan: PortScan) -> tuple[Message, ...]:
    c = scan.coverage
    if c.narrowed:
        return (Message("ports.warning.coverage_narrowed", {"host": scan.host, "spec": c.spec, "source": c.source,
                                                            "default": c.default}),)
    return ()


def _pass_message(key: str, scan: PortScan, **args: Any) -> Message:
    kind, extra = coverage_kind(scan.coverage)
    return Message(f"{key}.{kind}", {"host": scan.host, "scanned": scan.scanned_count, **extra, **args})


def _describe(p: PortFact) -> str:
    service = p.service.describe() if p.service else "unknown"
    return f"{p.port}/{p.protocol} {service}"


def only_allowed(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """FAIL for every open port the system did not declare (allowed_ports, endpoint ports, params.also_allowed)."""
    scan, error = observation_or_error(ctx, "ports", PortScan)
    if error:
        return error
    error = unreachable(scan)
    if error:
        return error
    allowed = set(ctx.system.exposed_ports_allowed) | {validate_port(p) for p in params.get("also_allowed", ())}
    undeclared = [p for p in scan.open_ports if p.port not in allowed]
    if undeclared:
        return Outcome(
            Verdict.FAIL,
            Message("ports.only_allowed.fail", {"host": scan.host, "count": len(undeclared),
                                                "ports": ", ".join(str(p.port) for p in undeclared),
                                                "scanned": scan.scanned_count}),
            tuple(evidence("ports.evidence.undeclared_port", _describe(p)) for p in undeclared)
            + (evidence("ports.evidence.allowed_ports", ", ".join(map(str, sorted(allowed))) or "-"),
               coverage_evidence(scan)),
            coverage_warnings(scan),
        )
    return Outcome(
        Verdict.PASS,
        _pass_message("ports.only_allowed.pass", scan, open=len(scan.open_ports)),
        tuple(evidence("ports.evidence.open_port", _describe(p)) for p in scan.open_ports) + (coverage_evidence(scan),),
        coverage_warnings(scan),
    )


def _forbidden_reason(p: PortFact, names: set[str], ports: set[int], products: tuple[str, ...]) -> str | None:
    s = p.service
    if s and s.detected and not s.tunnel and s.name.lower() in names:
        return "service"
    if s and s.detected and s.product and any(x in s.product.lower() for x in products):
        return "service"
    if p.port in ports:
        return "port"
    return None


def forbidden_services(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """FAIL for an open port whose detected service (by -sV, any port) or port number is forbidden.

    ``params.services``: nmap service names (default: telnet, ftp, tftp, r-services, vnc).
    ``params.ports``: port numbers (default: 21, 23, 69, 512-514, 5900). ``params.products``:
    case-insensitive substrings of the detected product (e.g. "elasticsearch": nmap names it ``http``,
    product "Elasticsearch REST API"). A service name found inside TLS (nmap's ``ssl`` tunnel) is not
    cleartext and is judged by its port and product only.
    """
    scan, error = observation_or_error(ctx, "ports", PortScan)
    if error:
        return error
    error = unreachable(scan)
    if error:
        return error
    names = {str(n).lower() for n in params.get("services", DEFAULT_FORBIDDEN_SERVICES)}
    ports = {validate_port(p) for p in params.get("ports", DEFAULT_FORBIDDEN_PORTS)}
    products = tuple(str(x).lower() for x in params.get("products", ()) if str(x))
    hits = [(p, r) for p in scan.open_ports if (r := _forbidden_reason(p, names, ports, products))]
    warnings: tuple[Message, ...] = coverage_warnings(scan)
    if not scan.service_detection:
        warnings += (Message("ports.warning.no_service_detection", {"host": scan.host}),)
    if hits:
        return Outcome(
            Verdict.FAIL,
            Message("ports.forbidden_services.fail", {"host": scan.host, "count": len(hits),
                                                      "ports": ", ".join(str(p.port) for p, _ in hits),
                                                      "scanned": scan.scanned_count}),
            tuple(evidence(f"ports.evidence.forbidden_{reason}", _describe(p)) for p, reason in hits)
            + (coverage_evidence(scan),),
            warnings,
        )
    return Outcome(Verdict.PASS, _pass_message("ports.forbidden_services.pass", scan, open=len(scan.open_ports)),
                   tuple(evidence("ports.evidence.open_port", _describe(p)) for p in scan.open_ports)
                   + (coverage_evidence(scan),), warnings)


_RANGE = {"type": "string", "pattern": r"^(top-\d+|all|\d+(-\d+)?)$"}
_PORT_LIST = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}}

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        name="ports.only_allowed", func=only_allowed, needs=frozenset({"ports:scan", "ports:service"}),
        params_schema={"type": "object", "additionalProperties": False,
                       "properties": {"also_allowed": _PORT_LIST, "watch_ports": {"type": "array"},
                                      "range": _RANGE}},
        scope="host",
    ),
    CheckSpec(
        name="ports.forbidden_services", func=forbidden_services, needs=frozenset({"ports:scan", "ports:service"}),
        params_schema={"type": "object", "additionalProperties": False,
                       "properties": {"services": {"type": "array", "items": {"type": "string"}},
                                      "products": {"type": "array", "items": {"type": "string"}},
                                      "ports": _PORT_LIST, "watch_ports": {"type": "array"},
                                      "range": _RANGE}},
        scope="host",
    ),
)
