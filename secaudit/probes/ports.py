"""nmap adapter (through python-nmap): which ports to scan, how to call nmap, and normalised observations.

Design (design.md §6):

* ONE nmap invocation per batch of hosts, with the union of their ports (``-p`` explicit list),
  unprivileged connect scan ``-sT``, no host discovery ``-Pn``, no reverse DNS ``-n``,
  ``--max-retries`` / ``--host-timeout`` derived from the caller's deadline.
* ``-sV`` and NSE scripts only when a requested check needs them (:func:`options_for_needs`).
* Scope guard: every host and port is validated (:mod:`secaudit.targets`) and must belong to the
  declared scope before nmap starts; nmap is run with an argument *list* built here (never a
  string split with shlex, as python-nmap's ``scan()`` does), and targets come after ``--``.
* nmap's XML is parsed by python-nmap's ``analyse_nmap_xml_scan``; what python-nmap drops
  (collapsed ``extraports``, timed-out hosts) is read from the same XML with ElementTree.
  Nothing python-nmap returns leaves this module: callers get :class:`Observation` objects
  whose facts are :class:`secaudit.observations.ports.PortScan`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence

from secaudit.errors import SecauditError, ToolMissingError
from secaudit.model import Message, Observation, ObservationStatus, Probe, System
from secaudit.observations.ports import (
    Coverage,
    compress,
    PortFact,
    PortGroup,
    PortScan,
    PortState,
    ServiceInfo,
    parse_ssh2_enum_algos,
    parse_ssh_auth_methods,
)
from secaudit.targets import is_ipv6, parse_coverage, parse_port, reason, validate_host, validate_port
from secaudit.probes import ssh_auth
from secaudit.probes.pdeath import die_with_parent
from concurrent.futures import ThreadPoolExecutor, as_completed
from secaudit.i18n import t

KIND = "ports"
MIN_NMAP_VERSION = (7, 80)          # extraports carry their port list in XML since 7.80
NMAP_SEARCH_PATH = ("nmap", "/usr/bin/nmap", "/usr/local/bin/nmap")

# Needs (CheckSpec.needs) this family understands, and what each one asks of nmap.
NEED_SCAN = "ports:scan"
NEED_SERVICE = "ports:service"
NSE_SSH_ALGOS = "ssh2-enum-algos"
NSE_SSH_AUTH = "ssh-auth-methods"
NEED_SSH_ALGOS = f"nse:{NSE_SSH_ALGOS}"
NEED_SSH_AUTH = f"nse:{NSE_SSH_AUTH}"
KNOWN_NEEDS = frozenset({NEED_SCAN, NEED_SERVICE, NEED_SSH_ALGOS, NEED_SSH_AUTH})

# Risky services always looked at (policy may replace it with `watch_ports`). Port -> service.
DEFAULT_WATCH_PORTS: Mapping[int, str] = {
    21: "ftp", 23: "telnet", 110: "pop3", 143: "imap", 512: "exec", 513: "login", 514: "shell",
    1433: "ms-sql-s", 1521: "oracle", 2375: "docker", 3306: "mysql", 3389: "ms-wbt-server",
    5432: "postgresql", 5900: "vnc", 6379: "redis", 9200: "elasticsearch", 11211: "memcache",
    27017: "mongodb",
}


class ScopeError(SecauditError):
    """A target was refused before nmap started (invalid, option-like, or outside the inventory)."""

    def __init__(self, key: str, **args: Any):
        self.key = key
        self.args_ = args
        super().__init__(t(key, "en", **args))


# ----------------------------------------------------------------------------- pure planning


@dataclass(frozen=True)
class ScanOptions:
    """What nmap must do beyond the connect scan. Hashable: probes with equal options share a batch."""

    service_detection: bool = False
    scripts: tuple[str, ...] = ()

    def to_params(self) -> dict[str, Any]:
        return {"service_detection": self.service_detection, "scripts": list(self.scripts)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "ScanOptions":
        return cls(bool(params.get("service_detection", False)), tuple(sorted(params.get("scripts", ()))))


def options_for_needs(needs: Iterable[str]) -> ScanOptions:
    """Turn the needs of the requested checks into nmap options (pure).

    ``ports:scan`` -> connect scan only; ``ports:service`` -> ``-sV``; ``nse:<script>`` -> ``-sV``
    plus that script (the SSH scripts' port rule matches the *detected* ssh service, so -sV is what
    restricts them to SSH ports, standard or not). Needs of other families are ignored; an unknown
    ports/nse need is a programming error.
    """
    mine = {n for n in needs if n.split(":", 1)[0] in ("ports", "nse")}
    unknown = mine - KNOWN_NEEDS
    if unknown:
        raise ValueError(f"unknown ports/nse needs: {sorted(unknown)}")
    scripts = tuple(sorted(n.split(":", 1)[1] for n in mine if n.startswith("nse:")))
    return ScanOptions(service_detection=bool(scripts) or NEED_SERVICE in mine, scripts=scripts)


@dataclass(frozen=True)
class Timing:
    max_retries: int
    host_timeout_s: int
    script_timeout_s: int
    process_timeout_s: float        # hard limit on the nmap process (host timeout + grace)


def timing_for_deadline(deadline_s: float) -> Timing:
    """Derive nmap's retries and timeouts from the seconds the caller allows for one host (pure).

    Each host has its own nmap process and the whole deadline: nmap gives up on the host a second
    before it, and the process is killed 2 s after that, so a stalled nmap ends within the deadline
    plus one second (the executor abandons a batch 5 s after its last wave's deadline).
    """
    if deadline_s <= 0:
        raise ValueError("deadline must be positive")
    host_timeout = max(1, int(deadline_s) - 1)
    retries = 0 if deadline_s < 10 else 1 if deadline_s < 60 else 2
    script_timeout = max(1, min(host_timeout, int(deadline_s * 0.8)))
    return Timing(retries, host_timeout, script_timeout, host_timeout + 2.0)


def parse_port_range(spec: str, top_ports: Callable[[int], Sequence[int]]) -> tuple[int, ...]:
    """``top-N`` (nmap's N most frequent TCP ports) or ``A-B`` / ``N`` -> explicit ports (pure but for top_ports)."""
    spec = str(spec).strip().lower()
    if spec.startswith("top-"):
        n = parse_port(spec[4:])
        return tuple(top_ports(n))
    lo, sep, hi = spec.partition("-")
    first = parse_port(lo)
    last = parse_port(hi) if sep else first
    if last < first:
        raise ValueError(f"port range {spec!r} is reversed")
    return tuple(range(first, last + 1))


def watch_ports_from_params(params: Mapping[str, Any]) -> tuple[int, ...]:
    """The watch list: ``params['watch_ports']`` (ints or ``"A-B"`` strings) or the default risky list."""
    raw = params.get("watch_ports")
    if raw is None:
        return tuple(sorted(DEFAULT_WATCH_PORTS))
    out: set[int] = set()
    for item in raw:
        if isinstance(item, str) and "-" in item:
            out.update(parse_port_range(item, lambda n: ()))
        else:
            out.add(validate_port(item))
    return tuple(sorted(out))


FULL_RANGE = "1-65535"


def normalise_coverage(spec: str) -> str:
    """``top-N`` / ``A-B`` / ``N`` / ``all`` -> the canonical spelling (``all`` is ``1-65535``); ValueError if malformed."""
    return parse_coverage(spec)


def coverage_count(spec: str) -> int:
    """How many ports a coverage spec names (``top-N`` -> N), without expanding it."""
    spec = normalise_coverage(spec)
    if spec.startswith("top-"):
        return parse_port(spec[4:])
    lo, sep, hi = spec.partition("-")
    return (parse_port(hi) if sep else parse_port(lo)) - parse_port(lo) + 1


@dataclass(frozen=True)
class CoveragePlan:
    """How wide a host's scan is and who decided (pure, JSON-friendly as ``to_params``).

    ``spec``: the range scanned beyond the declared and watched ports (``top-1000``, ``1-65535``, or ""
    for none); ``source``: ``policy`` (the level's default), ``inventory`` (the system's
    ``port_coverage``), ``cli`` (``--ports-range``) or ""; ``default``: what the policy asked for."""

    spec: str = ""
    source: str = ""
    default: str = ""

    def to_params(self) -> dict[str, str]:
        return {"spec": self.spec, "source": self.source, "default": self.default}

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> "CoveragePlan":
        params = params or {}
        return cls(str(params.get("spec", "")), str(params.get("source", "")), str(params.get("default", "")))


def _widest(specs: Iterable[str]) -> str:
    ordered = sorted({normalise_coverage(x) for x in specs if x}, key=lambda x: (-coverage_count(x), x))
    if not ordered:
        return ""
    return FULL_RANGE if FULL_RANGE in ordered else "+".join(ordered)


def coverage_for(systems: Iterable[System], controls: Iterable[Any]) -> CoveragePlan:
    """The coverage of one host's scan (pure): an override (``System.port_coverage``, from the inventory or
    the command line) replaces the widest ``range`` the asking controls' params name (the level's default)."""
    default = _widest(str((getattr(c, "params", None) or {}).get("range") or "") for c in controls)
    overrides = [s.port_coverage for s in systems if getattr(s, "port_coverage", None)]
    if overrides:
        spec = _widest(o.spec for o in overrides)
        source = "cli" if any(o.source == "cli" for o in overrides) else "inventory"
        return CoveragePlan(spec, source, default)
    return CoveragePlan(default, "policy" if default else "", default)


def coverage_ports(spec: str, top_ports: Callable[[int], Sequence[int]] | None = None) -> set[int]:
    """The ports a coverage spec names (``a+b`` is the union)."""
    out: set[int] = set()
    for part in (p for p in spec.split("+") if p):
        out.update(parse_port_range(normalise_coverage(part), top_ports or nmap_top_ports))
    return out


def select_ports(system: System, params: Mapping[str, Any],
                 top_ports: Callable[[int], Sequence[int]] | None = None) -> tuple[int, ...]:
    """Ports to scan on each host of ``system`` (pure): allowed ports + endpoint ports + watch list + ``range``.

    ``params`` (a control's params): ``watch_ports`` (list, default :data:`DEFAULT_WATCH_PORTS`),
    ``ports`` (ports the check judges, e.g. forbidden ports: always scanned), ``range`` (``top-N``,
    ``A-B`` e.g. ``1-65535``, ``all``, or absent: the level's default coverage).
    """
    ports = declared_ports(system, params)
    if params.get("range"):
        ports |= coverage_ports(str(params["range"]), top_ports)
    return tuple(sorted(ports))


def declared_ports(system: System, params: Mapping[str, Any]) -> set[int]:
    """What is always scanned whatever the coverage: allowed, endpoint, watched and judged ports."""
    ports: set[int] = {validate_port(p) for p in system.allowed_ports}
    ports |= {validate_port(e.port) for e in system.endpoints}
    ports |= set(watch_ports_from_params(params))
    ports |= {validate_port(p) for p in params.get("ports", ())}     # ports a check judges (forbidden_services)
    return ports


def probe_params(needs: Iterable[str], host: str, systems: Sequence[System], controls: Sequence[Any],
                 top_ports: Callable[[int], Sequence[int]] | None = None) -> dict[str, Any]:
    """The parameters of one host's ports probe (pure but for nmap-services): options, coverage, ports.

    Every asking control's declared/watched/judged ports, plus the coverage (:func:`coverage_for`);
    the port list is compressed (``1-1000,2323``) so a full-range probe stays small."""
    coverage = coverage_for(systems, controls)
    ports: set[int] = set()
    for system in systems:
        for control in controls or [None]:      # each asking control may widen the declared port set
            ports |= declared_ports(system, dict(control.params) if control else {})
    if coverage.spec:
        ports |= coverage_ports(coverage.spec, top_ports)
    return {**options_for_needs(needs).to_params(), "ports": compress_ports(ports), "host": host,
            "coverage": coverage.to_params()}


def probe_ports(params: Mapping[str, Any]) -> tuple[int, ...]:
    """A probe's ports: a compressed string (``"1-3,5"``) or a list; every one validated."""
    raw = params.get("ports", ())
    if isinstance(raw, str):
        if not raw or not set(raw) <= set("0123456789,-"):
            raise ValueError(f"invalid port list {raw[:40]!r}")
        return tuple(sorted(validate_port(p) for p in _expand_ports(raw)))
    return tuple(sorted({validate_port(p) for p in raw}))


def ports_per_host(systems: Iterable[System], params: Mapping[str, Any],
                   top_ports: Callable[[int], Sequence[int]] | None = None) -> dict[str, tuple[int, ...]]:
    """Host -> ports to scan, for every endpoint host of ``systems`` (a host shared by systems gets the union)."""
    out: dict[str, set[int]] = {}
    for system in systems:
        ports = select_ports(system, params, top_ports)
        for host in {validate_host(e.host) for e in system.endpoints}:
            out.setdefault(host, set()).update(ports)
    return {h: tuple(sorted(p)) for h, p in sorted(out.items())}


def probes_for(targets: Mapping[str, Iterable[int]], needs: Iterable[str],
               coverage: CoveragePlan | None = None) -> list[Probe]:
    """One ``ports`` probe per host (pure): the plan stage's view of what to scan."""
    params = options_for_needs(needs).to_params()
    if coverage is not None:
        params["coverage"] = coverage.to_params()
    return [Probe(id=f"ports:{host}", kind=KIND, target=host,
                  params={**params, "ports": sorted({validate_port(p) for p in ports})})
            for host, ports in sorted(targets.items())]


def compress_ports(ports: Iterable[int]) -> str:
    """``[1,2,3,5]`` -> ``"1-3,5"``: an explicit, compact ``-p`` value (the observations' own notation)."""
    return compress(ports)


def check_scope(targets: Mapping[str, Iterable[int]], scope: Collection[str]) -> dict[str, tuple[int, ...]]:
    """Validate every host and port and refuse anything outside ``scope`` (the inventory's hosts).

    Raise :class:`ScopeError` naming the first offending target; nothing is scanned then.
    """
    allowed: set[str] = set()
    for h in scope:
        try:
            allowed.add(validate_host(h))
        except ValueError:
            continue  # an invalid scope entry can never match a valid target
    out: dict[str, tuple[int, ...]] = {}
    for host, ports in targets.items():
        try:
            norm = validate_host(host)
        except ValueError as e:
            raise ScopeError("ports.scope.invalid_host", host=repr(host), reason=reason(e)) from None
        if norm not in allowed:
            raise ScopeError("ports.scope.not_in_inventory", host=norm)
        checked: set[int] = set()
        for p in ports:
            try:
                checked.add(validate_port(p))
            except ValueError as e:
                raise ScopeError("ports.scope.invalid_port", host=norm, reason=reason(e)) from None
        if not checked:
            raise ScopeError("ports.scope.no_ports", host=norm)
        out[norm] = tuple(sorted(checked | set(out.get(norm, ()))))
    return out


def build_argv(nmap_path: str, hosts: Sequence[str], ports: Iterable[int], options: ScanOptions,
               timing: Timing, ipv6: bool = False) -> list[str]:
    """The exact nmap argument list for one batch (pure). Hosts and ports must be validated already."""
    argv = [nmap_path, "-oX", "-", "-sT", "-Pn", "-n",
            "--max-retries", str(timing.max_retries), "--host-timeout", f"{timing.host_timeout_s}s",
            "-p", compress_ports(ports)]
    if options.service_detection:
        argv.append("-sV")
    if options.scripts:
        argv += ["--script", ",".join(options.scripts), "--script-timeout", f"{timing.script_timeout_s}s"]
    if ipv6:
        argv.append("-6")
    argv.append("--")
    argv += list(hosts)
    return argv


@lru_cache(maxsize=4)
def _services_ranking(path: str) -> tuple[int, ...]:
    ranked: list[tuple[float, int]] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) >= 3 and parts[1].endswith("/tcp"):
                try:
                    ranked.append((-float(parts[2]), int(parts[1][:-4])))
                except ValueError:
                    continue
    ranked.sort()
    return tuple(p for _, p in ranked)


def nmap_top_ports(n: int, services_file: str = "/usr/share/nmap/nmap-services") -> tuple[int, ...]:
    """nmap's ``n`` most frequent TCP ports (as ``--top-ports`` would pick them), read from nmap-services."""
    try:
        return tuple(sorted(_services_ranking(services_file)[:n]))
    except OSError:
        raise ToolMissingError("cli.tool_missing.nmap") from None


# ----------------------------------------------------------------------------- running nmap


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str], float], RunResult]


def subprocess_runner(argv: Sequence[str], timeout: float) -> RunResult:
    """Run nmap with an argument list (no shell), stdin closed, killed at ``timeout``.

    nmap stays in the scan's process group: a Ctrl-C in the terminal (or the terminal closing) ends it
    at once with the scan; the executor keeps what it then reports out of the journal, for ``--resume``.
    On Linux it also dies with this thread's process when that one is killed (even by SIGKILL), never
    an orphan still probing (:mod:`secaudit.probes.pdeath`)."""
    p = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False,
                       preexec_fn=die_with_parent())
    return RunResult(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))


@dataclass(frozen=True)
class NmapTool:
    path: str
    version: tuple[int, int]


def find_nmap(path: str | None = None) -> NmapTool:
    """Locate nmap and check its version (``nmap -V``); ToolMissingError (exit 2) otherwise.

    ``path`` defaults to ``$SECAUDIT_NMAP``, then nmap on the PATH and the usual places. The lookup
    (``nmap -V``, about 12 ms) is made once per process and path; failures are not cached.
    """
    return _find_nmap(path or os.environ.get("SECAUDIT_NMAP") or None)


@lru_cache(maxsize=8)
def _find_nmap(path: str | None) -> NmapTool:
    search = (path,) if path else NMAP_SEARCH_PATH
    for candidate in search:
        version = _nmap_version(candidate)
        if version is None:
            continue
        if version < MIN_NMAP_VERSION:
            raise ToolMissingError("cli.tool_too_old.nmap", found=f"{version[0]}.{version[1]}",
                                   needed=f"{MIN_NMAP_VERSION[0]}.{MIN_NMAP_VERSION[1]}")
        return NmapTool(path=candidate, version=version)
    raise ToolMissingError("cli.tool_missing.nmap")


_NMAP_VERSION = re.compile(r"^Nmap version (\d+)\.(\d+)", re.MULTILINE)


def _nmap_version(candidate: str) -> tuple[int, int] | None:
    """``nmap -V`` of ``candidate`` (as python-nmap reads it: "Nmap version 7.93 ( https://nmap.org )"), or
    None when it does not run or is not nmap. In a process group of its own, like every scan: a Ctrl-C
    at that moment is the scan's to handle, not a reason to report nmap missing."""
    try:
        p = subprocess.run([candidate, "-V"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                           check=False, process_group=0, preexec_fn=die_with_parent())
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = _NMAP_VERSION.search(p.stdout.decode("utf-8", "replace"))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _expand_ports(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


@dataclass(frozen=True)
class _XmlHost:
    address: str
    user_names: tuple[str, ...]
    timed_out: bool
    extra: tuple[tuple[str, str, frozenset[int]], ...]   # (state, reason, ports) of collapsed ports
    service_attrs: Mapping[int, tuple[str, str]]          # tcp port -> (method, tunnel) of <service>


def _xml_hosts(xml: str) -> tuple[str, list[_XmlHost]]:
    """What python-nmap does not keep: nmap version, timed-out flags and collapsed (extraports) ports."""
    root = ET.fromstring(xml)
    hosts: list[_XmlHost] = []
    for h in root.findall("host"):
        addrs = [a.get("addr", "") for a in h.findall("address") if a.get("addrtype") in ("ipv4", "ipv6")]
        names = tuple(n.get("name", "") for n in h.findall("hostnames/hostname") if n.get("type") == "user")
        extra = []
        for ep in h.findall("ports/extraports"):
            for er in ep.findall("extrareasons"):
                extra.append((ep.get("state", ""), er.get("reason", ""), frozenset(_expand_ports(er.get("ports", "")))))
        attrs = {}
        for port in h.findall("ports/port"):
            svc = port.find("service")
            if port.get("protocol") == "tcp" and svc is not None and (port.get("portid") or "").isdigit():
                attrs[int(port.get("portid"))] = (svc.get("method", ""), svc.get("tunnel", ""))
        hosts.append(_XmlHost(addrs[0] if addrs else "", names, h.get("timedout") == "true", tuple(extra), attrs))
    return root.get("version", ""), hosts


def _port_facts(pn_host: Mapping[str, Any], xml_host: _XmlHost, wanted: Sequence[int],
                options: ScanOptions) -> tuple[list[PortFact], list[PortGroup], list[int]]:
    """Normalise python-nmap's per-host dict, restricted to the ports this host asked for: the ports nmap
    listed, the groups it collapsed (kept compressed), and the requested ports it said nothing about."""
    tcp = pn_host.get("tcp", {}) if pn_host else {}
    facts = [_listed_fact(port, tcp[port], xml_host) for port in wanted if port in tcp]
    rest = set(wanted) - set(tcp)
    groups: list[PortGroup] = []
    for state, why, ports in xml_host.extra:
        mine = rest & ports
        if mine:
            groups.append(PortGroup(PortState.parse(state), why, compress_ports(mine), len(mine)))
            rest -= mine
    return facts, groups, sorted(rest)


def _listed_fact(port: int, entry: Mapping[str, Any], xml_host: _XmlHost) -> PortFact:
    service = None
    if entry.get("name") or entry.get("product"):
        method, tunnel = xml_host.service_attrs.get(port, ("", ""))
        service = ServiceInfo(
            name=entry.get("name", ""), product=entry.get("product", ""), version=entry.get("version", ""),
            extrainfo=entry.get("extrainfo", ""), method=method, tunnel=tunnel,
            confidence=int(entry.get("conf") or 0))
    scripts = {str(k): str(v) for k, v in (entry.get("script") or {}).items()}
    algos = auth = None
    if NSE_SSH_ALGOS in scripts:
        try:
            algos = parse_ssh2_enum_algos(scripts[NSE_SSH_ALGOS])
        except ValueError:
            algos = None  # kept raw in `scripts`; the check reports it as not measured
    if NSE_SSH_AUTH in scripts:
        try:
            auth = parse_ssh_auth_methods(scripts[NSE_SSH_AUTH])
        except ValueError:
            auth = None
    return PortFact(port=port, protocol="tcp", state=PortState.parse(entry.get("state", "")),
                    reason=entry.get("reason", ""), service=service, ssh_algorithms=algos,
                    ssh_auth_methods=auth, scripts=scripts)


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


RAW_OUTPUT_LIMIT = 2000     # characters of nmap's own output kept with a failure (journal and JSON, not the text)


def nmap_failure(res: RunResult) -> Message:
    """Why an nmap run gave no usable report, in one line: killed by a signal, or its exit status with the
    last line it wrote on stderr. Its raw output (XML, warnings) rides along as the ``output`` argument,
    which no message text shows: the journal keeps it for whoever digs, reports show the one line."""
    if res.returncode < 0:
        try:
            name = signal.Signals(-res.returncode).name
        except ValueError:
            name = str(-res.returncode)
        return Message("ports.probe.nmap_killed", {"signal": name, "output": nmap_output(res)})
    return Message("ports.probe.nmap_failed", {"code": res.returncode, "detail": nmap_detail(res),
                                               "output": nmap_output(res)})


def nmap_detail(res: RunResult) -> str | Message:
    """The last line nmap wrote on stderr (whitespace folded, at most 200 characters), else a message saying
    it wrote none: never its XML."""
    lines = [" ".join(x.split()) for x in res.stderr.splitlines() if x.strip()]
    return lines[-1][:200] if lines else Message("ports.probe.nmap_no_detail")


def nmap_output(res: RunResult) -> str:
    """nmap's raw stderr and stdout, bounded by ``RAW_OUTPUT_LIMIT``: data for the journal, not for a message."""
    raw = (res.stderr.strip() + "\n" + res.stdout.strip()).strip()
    return raw[:RAW_OUTPUT_LIMIT] + ("…" if len(raw) > RAW_OUTPUT_LIMIT else "")


def _error(probe: Probe, key: str, started: str, duration: float, **args: Any) -> Observation:
    """An ERROR observation whose reason is the catalog message ``key`` (English kept in ``error``)."""
    return Observation.failed(probe, Message(key, args), started, round(duration, 3))


def _with_openssh_auth(fact: PortFact, address: str, timing: Timing) -> PortFact:
    """When nmap's ssh-auth-methods failed on an SSH port, ask with the OpenSSH client instead (see ssh_auth)."""
    if not fact.is_open or fact.service_name != "ssh" or fact.ssh_auth_methods is not None:
        return fact

    methods, argv, reason = ssh_auth.auth_methods(address, fact.port, timeout_s=min(10, timing.host_timeout_s))
    scripts = dict(fact.scripts)
    scripts[ssh_auth.SOURCE] = " ".join(argv[1:]) + (f" -> {reason}" if reason else "")
    return replace(fact, ssh_auth_methods=methods, scripts=scripts)


def _run_batch(tool: NmapTool, batch: Sequence[Probe], options: ScanOptions, timing: Timing,
               runner: Runner, ipv6: bool, ssh_fallback: bool = True) -> list[Observation]:
    """One nmap invocation for ``batch`` (the runner uses batches of one host: see :func:`iter_probes`)."""
    # start-up: nmap loaded only when needed
    import nmap  # python-nmap, for its XML parser

    union: set[int] = set()
    for p in batch:
        union.update(probe_ports(p.params))
    argv = build_argv(tool.path, [p.target for p in batch], union, options, timing, ipv6)
    started = _now_iso()
    t0 = time.monotonic()
    try:
        res = runner(argv, timing.process_timeout_s)
    except subprocess.TimeoutExpired:
        dur = time.monotonic() - t0
        return [_error(p, "ports.probe.nmap_timeout", started, dur, seconds=f"{timing.process_timeout_s:.0f}") for p in batch]
    except OSError as e:
        dur = time.monotonic() - t0
        return [_error(p, "ports.probe.nmap_not_started", started, dur, error=str(e)) for p in batch]
    dur = time.monotonic() - t0
    try:
        parsed = parse_xml(res.stdout)
        version, xml_hosts = _xml_hosts(res.stdout)
    except (nmap.PortScannerError, ET.ParseError, AttributeError):
        return [Observation.failed(p, nmap_failure(res), started, round(dur, 3)) for p in batch]
    ctx = _BatchResult(parsed.get("scan", {}), float(parsed.get("nmap", {}).get("scanstats", {}).get("elapsed") or 0.0),
                       version, xml_hosts, tuple(argv), res.stderr, started, dur)
    return [_host_observation(probe, ctx, options, timing, ssh_fallback) for probe in batch]


@dataclass(frozen=True)
class _BatchResult:
    scan: Mapping[str, Any]
    elapsed: float
    version: str
    xml_hosts: Sequence[_XmlHost]
    argv: tuple[str, ...]
    stderr: str
    started: str
    duration: float


def _host_observation(probe: Probe, r: _BatchResult, options: ScanOptions, timing: Timing,
                      ssh_fallback: bool) -> Observation:
    xml_host = next((h for h in r.xml_hosts if probe.target in h.user_names or h.address == probe.target), None)
    if xml_host is None:
        reason = r.stderr.strip().splitlines()[0][:300] if r.stderr.strip() else "no result"
        return _error(probe, "ports.probe.no_result", r.started, r.duration, host=probe.target, reason=reason)
    if xml_host.timed_out:
        return _error(probe, "ports.probe.host_timeout", r.started, r.duration, host=probe.target,
                      seconds=timing.host_timeout_s)
    pn_host = r.scan.get(xml_host.address) if _unique_address(r.xml_hosts, xml_host.address) else None
    if pn_host is None:
        return _error(probe, "ports.probe.same_address", r.started, r.duration, host=probe.target,
                      address=xml_host.address)
    wanted = probe_ports(probe.params)
    facts, groups, missing = _port_facts(pn_host, xml_host, wanted, options)
    if ssh_fallback and NSE_SSH_AUTH in options.scripts:
        facts = [_with_openssh_auth(f, xml_host.address, timing) for f in facts]
    if missing:
        return _error(probe, "ports.probe.no_state", r.started, r.duration, ports=compress_ports(missing))
    plan = CoveragePlan.from_params(probe.params.get("coverage"))
    return Observation(
        probe_id=probe.id, kind=KIND, target=probe.target, status=ObservationStatus.OK,
        facts=PortScan(host=probe.target, address=xml_host.address, ports=tuple(facts), requested_ports=wanted,
                       service_detection=options.service_detection, scripts=options.scripts,
                       nmap_version=r.version, command=r.argv, elapsed_s=r.elapsed, collapsed=tuple(groups),
                       coverage=Coverage(plan.spec, plan.source, plan.default)),
        started_at=r.started, duration_s=round(r.duration, 3))


def _unique_address(hosts: Sequence[_XmlHost], address: str) -> bool:
    return sum(1 for h in hosts if h.address == address) == 1


class _Parser:
    """A bare object for python-nmap's XML parser (an unbound method), so no ``nmap -V`` runs per batch."""

    _nmap_last_output = ""
    _scan_result: dict[str, Any] = {}


def parse_xml(xml: str) -> dict[str, Any]:
    """nmap's XML through python-nmap's parser, without the ``nmap -V`` that ``PortScanner()`` would start
    (with the library's own Popen: outside this module's runner). Raises python-nmap's errors."""
    # start-up: nmap loaded only when needed
    import nmap  # python-nmap, for its XML parser

    return nmap.PortScanner.analyse_nmap_xml_scan(_Parser(), nmap_xml_output=xml)


def _normalised(probes: Sequence[Probe], scope: Collection[str]) -> list[Probe]:
    targets: dict[str, list[int]] = {}
    for p in probes:
        if p.kind != KIND:
            raise ValueError(f"not a ports probe: {p.id}")
        try:
            targets[p.target] = list(probe_ports(p.params))
        except ValueError as e:
            raise ScopeError("ports.scope.invalid_port", host=repr(p.target), reason=reason(e)) from None
    check_scope(targets, scope)          # raises before anything runs
    return [Probe(p.id, p.kind, validate_host(p.target), {**p.params, "ports": compress_ports(probe_ports(p.params))})
            for p in probes]


def iter_probes(probes: Sequence[Probe], scope: Collection[str], *, deadline_s: float = 120.0,
                nmap_path: str | None = None, runner: Runner | None = None, parallel: int = 8,
                ssh_fallback: bool = True) -> Iterator[Observation]:
    """Run ``ports`` probes, one nmap per host, ``parallel`` at a time; yield each observation as its host ends.

    One host per nmap process, so a host that stalls (and hits its host timeout, or gets its process
    killed) costs nobody else anything: its neighbours' results are yielded, and journaled, as soon as
    they exist. Each host gets the whole ``deadline_s``; the process is killed 2 s after nmap's own host
    timeout. Raises :class:`ScopeError` (nothing scanned) or :class:`ToolMissingError` before any scan.
    """
    normalised = _normalised(probes, scope)
    tool = find_nmap(nmap_path)
    timing = timing_for_deadline(deadline_s)
    run = runner or subprocess_runner

    def one(p: Probe) -> Observation:
        return _run_batch(tool, [p], ScanOptions.from_params(p.params), timing, run, is_ipv6(p.target),
                          ssh_fallback)[0]

    if len(normalised) <= 1 or parallel <= 1:
        for p in normalised:
            yield one(p)
        return
    with ThreadPoolExecutor(max_workers=min(parallel, len(normalised)), thread_name_prefix="secaudit-nmap") as pool:
        for future in as_completed([pool.submit(one, p) for p in normalised]):
            yield future.result()


def run_probes(probes: Sequence[Probe], scope: Collection[str], *, deadline_s: float = 120.0,
               nmap_path: str | None = None, runner: Runner | None = None, parallel: int = 8,
               ssh_fallback: bool = True) -> list[Observation]:
    """:func:`iter_probes`, collected in the order given: exactly one observation, OK or ERROR, per probe.

    With ``ssh_fallback`` (default), SSH ports where nmap's ssh-auth-methods failed are asked again with
    the OpenSSH client (:mod:`ssh_auth`)."""
    by_id = {o.probe_id: o for o in iter_probes(probes, scope, deadline_s=deadline_s, nmap_path=nmap_path,
                                                runner=runner, parallel=parallel, ssh_fallback=ssh_fallback)}
    return [by_id[p.id] for p in probes]


def scan(targets: Mapping[str, Iterable[int]], needs: Iterable[str], scope: Collection[str], *,
         deadline_s: float = 120.0, nmap_path: str | None = None, runner: Runner | None = None,
         ssh_fallback: bool = True, coverage: CoveragePlan | None = None) -> list[Observation]:
    """Convenience: scan ``host -> ports`` for the given check needs (see :func:`run_probes`)."""
    checked = check_scope(targets, scope)
    return run_probes(probes_for(checked, needs, coverage), scope, deadline_s=deadline_s, nmap_path=nmap_path,
                      runner=runner, ssh_fallback=ssh_fallback)
