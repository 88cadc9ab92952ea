"""YAML files -> model, with every problem reported as file:line:col (design §4).

Three document kinds: ``inventory``, ``policy``, ``waivers``. A file says its kind with a
top-level ``kind:`` key, or it is recognised by content. Each file goes through:

1. :mod:`secaudit.yamlread` (safe parse, positions, duplicate keys, size/alias limits);
2. normalisation (an endpoint written as a URL becomes host/port/service);
3. JSON-Schema validation (schemas shipped in ``secaudit/schemas/``), every error kept;
4. semantic checks the schema cannot express (unique ids, hosts, components, dates...);
5. construction of frozen model objects.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
from typing import Any, Callable, Collection, Iterable
from urllib.parse import urlsplit


from secaudit.errors import Diagnostic, InputError
from secaudit.gcpause import collector_paused
from secaudit.schemacheck import schema_diagnostics as _schema_diagnostics
from secaudit.schemacheck import short as _short
from secaudit.schemacheck import suggest as _suggest
from secaudit.schemacheck import type_name as _type_name
from secaudit.model import (
    Control, Damage, Endpoint, Facts, HostAccess, InfoClass, Inventory, LocalText, Organisation, PersonalData, Policy,
    PortCoverage, Purpose, Scope, SecretGrade, Service, Severity, SourceRef, SshJump, Starttls, System, Waiver,
    WorksGrade, Zone, format_hostport,
)
from secaudit.targets import TargetError, bracketed, normalize_host, parse_coverage, parse_hostport
from secaudit.yamlread import Path, YamlDoc, read_yaml_file, read_yaml_text
import ipaddress
from secaudit.approval import approval_semantics
from secaudit import checks
from secaudit.resources import policies_dir
from secaudit.approval import build_approval, build_body

KINDS = ("inventory", "policy", "waivers")

# URL schemes accepted for an endpoint written as a string: service, default port, STARTTLS, implicit TLS.
URL_SCHEMES: dict[str, tuple[Service, int, Starttls | None, bool]] = {
    "https": (Service.HTTPS, 443, None, True),
    "http": (Service.HTTP, 80, None, False),
    "smtp": (Service.SMTP, 25, Starttls.SMTP, True),
    "submission": (Service.SMTP, 587, Starttls.SMTP, True),
    "smtps": (Service.SMTP, 465, None, True),
    "imap": (Service.IMAP, 143, Starttls.IMAP, True),
    "imaps": (Service.IMAP, 993, None, True),
    "pop3": (Service.POP3, 110, Starttls.POP3, True),
    "pop3s": (Service.POP3, 995, None, True),
    "ftp": (Service.FTP, 21, Starttls.FTP, True),
    "ftps": (Service.FTP, 990, None, True),
    "ldap": (Service.LDAP, 389, Starttls.LDAP, True),
    "ldaps": (Service.LDAP, 636, None, True),
    "xmpp": (Service.XMPP, 5222, Starttls.XMPP, True),
    "xmpp-server": (Service.XMPP_SERVER, 5269, Starttls.XMPP_SERVER, True),
    "postgres": (Service.POSTGRES, 5432, Starttls.POSTGRES, True),
    "postgresql": (Service.POSTGRES, 5432, Starttls.POSTGRES, True),
    "rdp": (Service.RDP, 3389, Starttls.RDP, True),
    "ssh": (Service.SSH, 22, None, False),
    "tls": (Service.OTHER, 0, None, True),
    "tcp": (Service.OTHER, 0, None, False),
}

# Services whose STARTTLS protocol is fixed: a different `starttls:` is a contradiction.
_SERVICE_STARTTLS = {
    Service.SMTP: Starttls.SMTP, Service.IMAP: Starttls.IMAP, Service.POP3: Starttls.POP3,
    Service.FTP: Starttls.FTP, Service.LDAP: Starttls.LDAP, Service.XMPP: Starttls.XMPP,
    Service.XMPP_SERVER: Starttls.XMPP_SERVER, Service.POSTGRES: Starttls.POSTGRES, Service.RDP: Starttls.RDP,
}

_PURPOSES = frozenset(p.value for p in Purpose)
_SERVICES = frozenset(x.value for x in Service)

# Facts that only make sense for one purpose.
_PURPOSE_ONLY = {
    "online_service_level": Purpose.PUBLIC_SERVICE,
    "administrative_procedures": Purpose.PUBLIC_SERVICE,
    "conditional_business": Purpose.PUBLIC_SERVICE,
    "scope": Purpose.INFRASTRUCTURE,
    "works_grade": Purpose.INDUSTRIAL_CONTROL,
    "works_national_security": Purpose.INDUSTRIAL_CONTROL,
}


# --------------------------------------------------------------------------- kinds


def detect_kind(doc: YamlDoc) -> str | None:
    value = doc.value
    if not isinstance(value, dict):
        return None
    kind = value.get("kind")
    if isinstance(kind, str):
        return kind
    if "systems" in value:
        return "inventory"
    if "controls" in value:
        return "policy"
    if "waivers" in value:
        return "waivers"
    return None


def _endpoint_from_url(doc: YamlDoc, path: Path, text: str) -> tuple[dict[str, Any] | None, Diagnostic | None]:
    if not isinstance(text, str) or "://" not in text:
        return None, doc.diag(path, "endpoint.url_no_scheme", value=_short(text),
                              schemes=", ".join(sorted(URL_SCHEMES)))
    scheme = text.split("://", 1)[0].lower()
    if scheme not in URL_SCHEMES:
        hint = _suggest(scheme, URL_SCHEMES)
        return None, doc.diag(path, "endpoint.url_scheme", scheme=scheme, suggestion=hint or "https",
                              schemes=", ".join(sorted(URL_SCHEMES)))
    hint = None if "[" in text else bracketed(text)
    if hint:
        return None, doc.diag(path, "endpoint.url_ipv6", value=_short(text), suggestion=_short(hint))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None, doc.diag(path, "endpoint.url_port", value=_short(text))
    if parts.username or parts.password:
        return None, doc.diag(path, "endpoint.url_credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None, doc.diag(path, "endpoint.url_path", value=_short(text))
    host = parts.hostname or ""
    if parts.netloc.startswith("["):
        host = "[" + host + "]"
    service, default_port, starttls, tls = URL_SCHEMES[scheme]
    port = port or default_port
    if not port:
        return None, doc.diag(path, "endpoint.url_port", value=_short(text))
    ep: dict[str, Any] = {"host": host, "port": port, "service": str(service)}
    if starttls:
        ep["starttls"] = str(starttls)
    if tls and not starttls and service is not Service.HTTPS:
        ep["tls"] = True
    return ep, None


def _normalise_inventory(doc: YamlDoc) -> tuple[list[Diagnostic], set[Path]]:
    """Turn endpoint URL strings into mappings (in place); returns problems and paths not to re-check."""
    diags: list[Diagnostic] = []
    skip: set[Path] = set()
    systems = doc.value.get("systems") if isinstance(doc.value, dict) else None
    if not isinstance(systems, list):
        return diags, skip
    for i, system in enumerate(systems):
        if not isinstance(system, dict) or not isinstance(system.get("endpoints"), list):
            continue
        for j, ep in enumerate(system["endpoints"]):
            if isinstance(ep, dict):
                continue
            path = ("systems", i, "endpoints", j)
            mapping, problem = _endpoint_from_url(doc, path, ep)
            if problem:
                diags.append(problem)
                skip.add(path)
                continue
            assert mapping is not None
            system["endpoints"][j] = mapping
            doc.expand(path, mapping)
    return diags, skip


def _inventory_semantics(doc: YamlDoc) -> list[Diagnostic]:
    systems = doc.value.get("systems")
    if not isinstance(systems, list):
        return []
    out, first_id = _duplicate_ids(doc, "systems", "inventory.duplicate_id")
    for i, s in enumerate(systems):
        if isinstance(s, dict):
            out += _system_semantics(doc, i, s)
    out += _component_semantics(doc, systems, first_id)
    out += _zone_semantics(doc)
    return out


def _parsed(doc: YamlDoc, path: Path, value: Any, parse: Callable[[str], Any], out: list[Diagnostic],
            key: str | None = None) -> Any:
    """``parse(value)`` for a string ``value`` (None for anything else). A :class:`TargetError` becomes a
    diagnostic at ``path`` -- message ``key`` when given, else the error's own -- and the result None."""
    if not isinstance(value, str):
        return None
    try:
        return parse(value)
    except TargetError as e:
        out.append(doc.diag(path, key or e.key, value=_short(value)))
        return None


def _domain_name(name: str) -> str:
    """A mail domain: a DNS name with a dot, never an address, an option or a pattern."""
    host = normalize_host(name)
    if _is_ip(name) or "." not in name.strip("."):
        raise TargetError("inventory.domain_not_name", name)
    return host


def _sni_name(sni: str) -> str:
    host = normalize_host(sni)
    if _is_ip(sni):
        raise TargetError("target.sni_ip", sni)
    return host


def _domain_semantics(doc: YamlDoc, base: Path, s: dict[str, Any]) -> list[Diagnostic]:
    """Each mail domain is a DNS name (never an address, an option or a pattern)."""
    out: list[Diagnostic] = []
    domains = s.get("domains") if isinstance(s.get("domains"), list) else []
    for k, name in enumerate(domains):
        _parsed(doc, base + ("domains", k), name, _domain_name, out, "inventory.domain_invalid")
    return out


_SSH_USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def _hosts_semantics(doc: YamlDoc, base: Path, s: dict[str, Any]) -> list[Diagnostic]:
    """SSH hosts: a valid address (inside the zone's declared networks when it has some), a valid jump host,
    and key and known_hosts files that exist (for systems scanned from this machine: a zone worker's paths
    are its own and are checked there)."""
    out: list[Diagnostic] = []
    hosts = s.get("hosts") if isinstance(s.get("hosts"), list) else []
    networks = _zone_networks(doc, s.get("zone"))
    for k, h in enumerate(hosts):
        if not isinstance(h, dict):
            continue
        p = base + ("hosts", k)
        addr = _parsed(doc, p + ("address",), h.get("address"), normalize_host, out)
        if addr is not None and networks and _is_ip(addr) and not any(ipaddress.ip_address(addr) in n
                                                                       for n in networks):
            out.append(doc.diag(p + ("address",), "host.outside_zone", value=_short(addr), zone=str(s.get("zone"))))
        ssh = h.get("ssh") if isinstance(h.get("ssh"), dict) else {}
        _parsed(doc, p + ("ssh", "jump"), ssh.get("jump"), parse_jump, out, "host.jump_invalid")
        if s.get("zone") not in (None, "default"):
            continue
        for name in ("key", "known_hosts"):
            value = ssh.get(name)
            if isinstance(value, str) and value:
                target = pathlib.Path(_ssh_path(doc, value))
                if not target.is_file():
                    out.append(doc.diag(p + ("ssh", name), f"host.{name}_missing", path=_short(str(target))))
    return out


def _zone_networks(doc: YamlDoc, zone: Any) -> list[Any]:
    for z in doc.value.get("zones") or []:
        if isinstance(z, dict) and z.get("id") == zone and isinstance(z.get("networks"), list):
            try:
                return [ipaddress.ip_network(n.strip()) for n in z["networks"] if isinstance(n, str)]
            except ValueError:
                return []
    return []


def _zone_semantics(doc: YamlDoc) -> list[Diagnostic]:
    """Zone ids are unique; each network is CIDR without host bits (the declared scope of discovery)."""
    zones = doc.value.get("zones")
    if not isinstance(zones, list):
        return []
    out, _first = _duplicate_ids(doc, "zones", "inventory.duplicate_zone")
    for i, z in enumerate(zones):
        nets = z.get("networks") if isinstance(z, dict) and isinstance(z.get("networks"), list) else []
        for k, net in enumerate(nets):
            if not isinstance(net, str):
                continue
            try:
                if "/" not in net or net.startswith("-"):
                    raise ValueError(net)
                ipaddress.ip_network(net.strip(), strict=True)
            except ValueError:
                out.append(doc.diag(("zones", i, "networks", k), "target.scope_network", value=_short(net)))
    return out


def _duplicate_ids(doc: YamlDoc, list_key: str, message_key: str) -> tuple[list[Diagnostic], dict[str, int]]:
    """Items of ``doc[list_key]`` whose ``id`` repeats an earlier one; also returns id -> first index."""
    out: list[Diagnostic] = []
    first: dict[str, int] = {}
    for i, item in enumerate(doc.value.get(list_key) or []):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str):
            continue
        if item_id in first:
            out.append(doc.diag((list_key, i, "id"), message_key, id=item_id,
                                first_line=doc.where((list_key, first[item_id], "id"))[0]))
        else:
            first[item_id] = i
    return out, first


def _system_semantics(doc: YamlDoc, i: int, s: dict[str, Any]) -> list[Diagnostic]:
    base: Path = ("systems", i)
    out: list[Diagnostic] = approval_semantics(doc, base)
    purpose = s.get("purpose")
    for fact, only in _PURPOSE_ONLY.items():
        if fact in s and purpose in _PURPOSES and purpose != only.value:
            out.append(doc.diag(base + (fact,), "inventory.fact_purpose", at_key=True, fact=fact,
                                purpose=only.value, actual=purpose))
    info = s.get("information") if isinstance(s.get("information"), list) else []
    if "secret_grade" in s and "state_secret" not in info:
        out.append(doc.diag(base + ("secret_grade",), "inventory.grade_without_secret", at_key=True))
    if "damage" in s and "state_secret" not in info and s.get("defence_security") is not True:
        out.append(doc.diag(base + ("damage",), "inventory.damage_without_secret", at_key=True))
    if "strategic" in s and "state_secret" not in info and s.get("defence_security") is not True:
        out.append(doc.diag(base + ("strategic",), "inventory.damage_without_secret", at_key=True))
    _parsed(doc, base + ("port_coverage",), s.get("port_coverage"), parse_coverage, out)
    out += _domain_semantics(doc, base, s)
    out += _hosts_semantics(doc, base, s)
    endpoints = s.get("endpoints") if isinstance(s.get("endpoints"), list) else []
    seen: dict[tuple[str, int], int] = {}
    for j, ep in enumerate(endpoints):
        if not isinstance(ep, dict):
            continue
        p = base + ("endpoints", j)
        host = _parsed(doc, p + ("host",), ep.get("host"), normalize_host, out)
        _parsed(doc, p + ("sni",), ep.get("sni"), _sni_name, out, "endpoint.sni_invalid")
        svc, stls = ep.get("service"), ep.get("starttls")
        if isinstance(stls, str) and isinstance(svc, str):
            expected = _SERVICE_STARTTLS.get(Service(svc)) if svc in _SERVICES else None
            if svc in ("https", "http", "ssh") or (expected is not None and expected.value != stls):
                out.append(doc.diag(p + ("starttls",), "endpoint.starttls_mismatch", service=svc, starttls=stls))
        port = ep.get("port")
        if isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool):
            if (host, port) in seen:
                out.append(doc.diag(p, "endpoint.duplicate", endpoint=f"{host}:{port}", first_line=seen[(host, port)]))
            else:
                seen[(host, port)] = doc.where(p)[0]
    return out


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


def _component_semantics(doc: YamlDoc, systems: list[Any], index: dict[str, int]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    graph: dict[str, list[str]] = {}
    for i, s in enumerate(systems):
        if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not isinstance(s.get("components"), list):
            continue
        sid = s["id"]
        for j, comp in enumerate(s["components"]):
            if not isinstance(comp, str):
                continue
            if comp == sid:
                out.append(doc.diag(("systems", i, "components", j), "inventory.component_self", id=sid))
            elif comp not in index:
                hint = _suggest(comp, index)
                out.append(doc.diag(("systems", i, "components", j),
                                    "inventory.component_unknown_suggest" if hint else "inventory.component_unknown",
                                    id=comp, suggestion=hint or ""))
            else:
                graph.setdefault(sid, []).append(comp)
    # cycles: iterative DFS with colours, reporting each cycle once at its first system
    colour: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    for start in graph:
        if colour.get(start):
            continue
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(graph.get(start, [])))]
        trail = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                trail.pop()
                continue
            if colour.get(child) == 1:
                cycle = trail[trail.index(child):] + [child]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    out.append(doc.diag(("systems", index[child], "components"), "inventory.component_cycle",
                                        at_key=True, cycle=" → ".join(cycle)))
            elif not colour.get(child):
                colour[child] = 1
                trail.append(child)
                stack.append((child, iter(graph.get(child, []))))
    return out


def _policy_semantics(doc: YamlDoc) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    extends = doc.value.get("extends")
    if isinstance(extends, list):
        known = _known_policy_ids(doc.file)
        for i, parent in enumerate(extends):
            if isinstance(parent, str) and known and parent not in known:
                hint = _suggest(parent, known)
                out.append(doc.diag(("extends", i), "policy.extends_unknown_here", id=parent,
                                    suggestion=hint or "-"))
    controls = doc.value.get("controls")
    if not isinstance(controls, list):
        return out
    out += _duplicate_ids(doc, "controls", "policy.duplicate_control")[0]
    for i, c in enumerate(controls):
        if not isinstance(c, dict):
            continue
        check = c.get("check")
        if isinstance(check, str):
            spec = checks.REGISTRY.get(check)
            if spec is None:
                hint = _suggest(check, checks.REGISTRY)
                out.append(doc.diag(("controls", i, "check"),
                                    "policy.unknown_check_suggest" if hint else "policy.unknown_check",
                                    check=check, suggestion=hint or ""))
            elif isinstance(c.get("params", {}), dict):
                # start-up: jsonschema loaded only when needed
                from jsonschema import Draft202012Validator   # only policies have params

                validator = Draft202012Validator(spec.params_schema)
                for err in validator.iter_errors(c.get("params", {})):
                    p = ("controls", i, "params") + tuple(err.absolute_path)
                    out.append(doc.diag(p, "policy.bad_params", check=check, message=err.message))
    return out


def _known_policy_ids(file: str) -> set[str]:
    """Policy ids a policy file may extend: the shipped ones and the files beside it (by file name)."""
    dirs = [policies_dir() / "levels", policies_dir() / "profiles"]
    if file and not file.startswith("<"):
        dirs.append(pathlib.Path(file).resolve().parent)
    return {p.stem for d in dirs if d.is_dir() for p in d.glob("*.yaml")}


def _waiver_semantics(doc: YamlDoc) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    waivers = doc.value.get("waivers")
    if not isinstance(waivers, list):
        return out
    for i, w in enumerate(waivers):
        if not isinstance(w, dict):
            continue
        exp = w.get("expires")
        if isinstance(exp, str) and len(exp) == 10:
            try:
                dt.date.fromisoformat(exp)
            except ValueError:
                out.append(doc.diag(("waivers", i, "expires"), "schema.date", value=exp))
        ep = w.get("endpoint")
        if isinstance(ep, str):
            try:
                parse_hostport(ep)
            except TargetError as e:
                out.append(doc.diag(("waivers", i, "endpoint"), e.key, **e.args_for(_short(ep))))
    return out


_SEMANTICS: dict[str, Callable[[YamlDoc], list[Diagnostic]]] = {
    "inventory": _inventory_semantics,
    "policy": _policy_semantics,
    "waivers": _waiver_semantics,
}


def check_document(doc: YamlDoc, expected: str | None = None) -> tuple[str | None, list[Diagnostic]]:
    """All problems of a parsed document. Returns its kind (None when unknown) and the diagnostics."""
    if not isinstance(doc.value, dict):
        return None, [doc.diag((), "load.not_mapping", actual=_type_name(doc.value))]
    kind = detect_kind(doc)
    if kind is None:
        return None, [doc.diag((), "load.unknown_kind", kinds=", ".join(KINDS))]
    if kind not in KINDS:
        hint = _suggest(kind, KINDS)
        return None, [doc.diag(("kind",), "load.bad_kind", kind=_short(kind), suggestion=hint or KINDS[0],
                               kinds=", ".join(KINDS))]
    if expected is not None and kind != expected:
        return kind, [doc.diag(("kind",) if "kind" in doc.value else (), "load.wrong_kind", kind=kind,
                               expected=expected)]
    diags: list[Diagnostic] = []
    skip: set[Path] = set()
    if kind == "inventory":
        diags, skip = _normalise_inventory(doc)
    diags += _schema_diagnostics(doc, kind, skip)
    diags += _SEMANTICS[kind](doc)
    return kind, _dedupe(diags)


def _dedupe(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: dict[tuple[Any, ...], Diagnostic] = {}
    for d in diags:
        seen.setdefault((d.file, d.line, d.column, d.key, repr(sorted(d.args.items()))), d)
    return sorted(seen.values(), key=lambda d: (d.line, d.column, d.key))


def _read_checked(path: str, expected: str) -> YamlDoc:
    doc, diags = read_yaml_file(path)
    if doc is None:
        raise InputError(diags)
    _, problems = check_document(doc, expected)
    if diags or problems:
        raise InputError(_dedupe(diags + problems))
    return doc


# --------------------------------------------------------------------------- construction


def _src(doc: YamlDoc, path: Path) -> SourceRef:
    line, col = doc.where(path)
    return SourceRef(doc.file, line, col)


def _local(value: Any) -> LocalText:
    if isinstance(value, dict):
        return LocalText(en=str(value.get("en", "")), vi=str(value.get("vi", "")))
    return LocalText("", "")


def build_inventory(doc: YamlDoc) -> Inventory:
    data = doc.value
    org = data.get("organisation") or {}
    systems = []
    for i, s in enumerate(data["systems"]):
        base: Path = ("systems", i)
        endpoints = []
        for j, ep in enumerate(s.get("endpoints", [])):
            service = Service(ep.get("service", "other"))
            starttls = Starttls(ep["starttls"]) if ep.get("starttls") else None
            tls = bool(ep.get("tls", service is Service.HTTPS or starttls is not None))
            endpoints.append(Endpoint(
                host=normalize_host(ep["host"]), port=ep["port"], service=service, starttls=starttls,
                sni=ep.get("sni"), tls=tls, source=_src(doc, base + ("endpoints", j)),
            ))
        pd = s.get("personal_data") or {}
        facts = Facts(
            information=tuple(InfoClass(x) for x in s.get("information", [])),
            secret_grade=SecretGrade(s["secret_grade"]) if "secret_grade" in s else None,
            defence_security=s.get("defence_security"),
            damage=Damage(s["damage"]) if "damage" in s else None,
            strategic=s.get("strategic"),
            online_service_level=s.get("online_service_level"),
            administrative_procedures=s.get("administrative_procedures"),
            conditional_business=s.get("conditional_business"),
            personal_data=PersonalData(users=pd.get("users"), basic=pd.get("basic"), sensitive=pd.get("sensitive")),
            scope=Scope(s["scope"]) if "scope" in s else None,
            continuous_operation=s.get("continuous_operation"),
            national_egov=s.get("national_egov"),
            national_data_store=s.get("national_data_store"),
            works_grade=WorksGrade(s["works_grade"]) if "works_grade" in s else None,
            works_national_security=s.get("works_national_security"),
            designated_level=s.get("designated_level"),
            risk_assessed_level=s.get("risk_assessed_level"),
        )
        systems.append(System(
            id=s["id"], name=s["name"], purpose=Purpose(s["purpose"]), facts=facts,
            owner=s.get("owner", ""), operator=s.get("operator", ""), description=s.get("description", ""),
            declared_level=s.get("declared_level"), zone=s.get("zone"),
            components=tuple(s.get("components", [])), endpoints=tuple(endpoints),
            allowed_ports=tuple(s.get("allowed_ports", [])),
            port_coverage=PortCoverage(parse_coverage(s["port_coverage"])) if s.get("port_coverage") else None,
            source=_src(doc, base),
            domains=tuple(normalize_host(d) for d in s.get("domains", [])),
            approval=build_approval(s.get("approval")),
            ssh_hosts=tuple(_host_access(doc, base + ("hosts", k), h) for k, h in enumerate(s.get("hosts", []))),
        ))
    return Inventory(
        organisation=Organisation(name=org.get("name", ""), security_unit=org.get("security_unit", ""),
                                  owner_body=org.get("owner_body", ""), place=org.get("place", ""),
                                  owner_details=build_body(org.get("owner_details"),
                                                           _src(doc, ("organisation", "owner_details"))),
                                  security_unit_details=build_body(org.get("security_unit_details"),
                                                                   _src(doc, ("organisation", "security_unit_details"))),
                                  operator_details=build_body(org.get("operator_details"),
                                                              _src(doc, ("organisation", "operator_details"))),
                                  bodies=tuple(b for b in (build_body(v, _src(doc, ("organisation", "bodies", i)))
                                                           for i, v in enumerate(org.get("bodies") or ()))
                                               if b is not None)),
        systems=tuple(systems), source=SourceRef(doc.file, 1, 1),
        digest=doc.digest, zones=_build_zones(doc),
    )


def _ssh_path(doc: YamlDoc, text: str) -> str:
    """A key or known_hosts path: ``~`` expanded, relative paths from the inventory file's directory."""
    path = pathlib.Path(text).expanduser()
    if not path.is_absolute() and doc.file and not doc.file.startswith("<"):
        path = pathlib.Path(doc.file).resolve().parent / path
    return str(path)


def parse_jump(text: str) -> SshJump:
    """``[user@]host[:port]`` -> SshJump (host validated by targets.py; raises TargetError)."""
    user, _, rest = text.rpartition("@")
    host, port = parse_hostport(rest, default_port=22)
    if user and not _SSH_USER.match(user):
        raise TargetError("host.jump_user", text)
    return SshJump(host, port, user)


def _host_access(doc: YamlDoc, path: Path, h: dict[str, Any]) -> HostAccess:
    ssh = h["ssh"]
    return HostAccess(address=normalize_host(h["address"]), user=ssh["user"],
                      known_hosts=_ssh_path(doc, ssh["known_hosts"]), port=ssh.get("port", 22),
                      key=_ssh_path(doc, ssh["key"]) if ssh.get("key") else None,
                      jump=parse_jump(ssh["jump"]) if ssh.get("jump") else None, sudo=bool(ssh.get("sudo", False)),
                      source=_src(doc, path))


def _build_zones(doc: YamlDoc) -> tuple[Zone, ...]:
    return tuple(Zone(id=z["id"], networks=tuple(str(ipaddress.ip_network(n.strip())) for n in z["networks"]),
                      description=z.get("description", ""), source=_src(doc, ("zones", i)))
                 for i, z in enumerate(doc.value.get("zones") or []))


def build_policy(doc: YamlDoc) -> Policy:
    data = doc.value
    controls = tuple(
        Control(
            id=c["id"], title=_local(c["title"]), check=c["check"], severity=Severity(c["severity"]),
            params=dict(c.get("params", {})), references=tuple(c.get("references", [])),
            applies_to=tuple(Service(x) for x in c.get("applies_to", [])),
            remediation=_local(c.get("remediation")), source=_src(doc, ("controls", i)),
            requirements=tuple(c.get("requirements", [])),
        )
        for i, c in enumerate(data["controls"])
    )
    return Policy(id=data["id"], title=_local(data["title"]), controls=controls,
                  extends=tuple(data.get("extends", [])), level=data.get("level"), source=SourceRef(doc.file, 1, 1))


def build_waivers(doc: YamlDoc) -> tuple[Waiver, ...]:
    out = []
    for i, w in enumerate(doc.value["waivers"]):
        endpoint = None
        if w.get("endpoint"):
            host, port = parse_hostport(w["endpoint"])

            endpoint = format_hostport(host, port)
        out.append(Waiver(control=w["control"], system=w["system"], reason=w["reason"],
                          approved_by=w["approved_by"], expires=dt.date.fromisoformat(w["expires"]),
                          endpoint=endpoint, source=_src(doc, ("waivers", i))))
    return tuple(out)


def load_inventory(path: str) -> Inventory:
    """Load and validate an inventory file. Raises InputError listing every problem."""
    with collector_paused():
        return build_inventory(_read_checked(path, "inventory"))


def load_policy(path: str) -> Policy:
    return build_policy(_read_checked(path, "policy"))


def load_waivers(path: str, systems: Collection[str] | None = None,
                 controls: Collection[str] | None = None) -> tuple[Waiver, ...]:
    """Load a waivers file; with ``systems`` and ``controls`` (those of the run), a waiver naming
    anything else is an error: it would match nothing and be silently ignored."""
    doc = _read_checked(path, "waivers")
    problems = waiver_name_problems(doc, systems, controls)
    if problems:
        raise InputError(problems)
    return build_waivers(doc)


def waiver_name_problems(doc: YamlDoc, systems: Collection[str] | None,
                         controls: Collection[str] | None) -> list[Diagnostic]:
    """Waivers of ``doc`` naming a system or control not among those given (None: not checked)."""
    out: list[Diagnostic] = []
    waivers = doc.value.get("waivers") if isinstance(doc.value, dict) else None
    for i, w in enumerate(waivers if isinstance(waivers, list) else []):
        if not isinstance(w, dict):
            continue
        for name_key, known, key in (("system", systems, "waivers.unknown_system"),
                                     ("control", controls, "waivers.unknown_control")):
            name = w.get(name_key)
            if known is not None and isinstance(name, str) and name not in known:
                out.append(doc.diag(("waivers", i, name_key), key, id=name, suggestion=_suggest(name, known) or "-"))
    return out


def control_ids(policies: Iterable[Policy]) -> frozenset[str]:
    """Every control id the given policies define."""
    return frozenset(c.id for p in policies for c in p.controls)


def load_inventory_text(text: str, file: str = "<text>") -> Inventory:
    """Same as :func:`load_inventory` for text already in memory (tests, stdin)."""
    doc, diags = read_yaml_text(file, text)
    if doc is None:
        raise InputError(diags)
    _, problems = check_document(doc, "inventory")
    if diags or problems:
        raise InputError(_dedupe(diags + problems))
    return build_inventory(doc)
