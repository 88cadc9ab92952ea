"""One scan, stage after stage: classify → resolve → plan → execute → evaluate → results.

The CLI parses options into a :class:`ScanRequest`, this module does the work, and the
CLI prints and picks the exit status. Everything a resume needs is stored in the run's
``run.json``: the request itself, so ``--resume RUN`` re-plans exactly the same probes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from secaudit import __version__
from secaudit import checks
from secaudit.assess import adhoc_assessment, assess_inventory, with_check_params
from secaudit.cafile import check_ca_file
from secaudit.errors import Diagnostic, InputError, NothingToCheckError
from secaudit.evaluate import evaluate
from secaudit.execute.broker import broker_config
from secaudit.execute.celery_executor import CeleryExecutor, default_runners, zones_by_host
from secaudit.execute.interface import ExecutionObserver, ExecutionSummary
from secaudit.execute.journal import Journal, new_run_id
from secaudit.execute.local import Limits, LocalExecutor
from secaudit.execute.wire import RunSettings
from secaudit.load import control_ids, load_inventory, load_waivers
from secaudit.memory import release_free_memory
from secaudit.model import (
    Endpoint, Inventory, Organisation, PortCoverage, Purpose, Results, RunInfo, Service, SourceRef, Starttls, System,
    Waiver,
)
from secaudit.plan import Plan, SystemAssessment, build_plan
from secaudit.policy import PolicyLibrary, load_library, profile_ids
from secaudit.probes.interface import RunnerContext
from secaudit.probes.mail import parse_resolver
from secaudit.requirements.citation import Citer, citer_for
from secaudit.targets import TargetError, is_valid_host, parse_coverage, parse_hostport, validate_host
from secaudit.probes.registry import runners
from secaudit.classify.regime import load_regime
from secaudit.classify.regime import DEFAULT_REGIME


@dataclass(frozen=True)
class ScanRequest:
    inventory_file: str | None = None
    targets: tuple[str, ...] = ()          # ad-hoc HOST:PORT (no inventory)
    hosts: tuple[str, ...] = ()            # ad-hoc hosts without a port (`secaudit ports HOST...`)
    allowed_ports: tuple[int, ...] = ()    # ad-hoc: ports the targets may expose (`secaudit ports --allow`)
    service: str | None = None             # ad-hoc: service of the targets (default from the port)
    starttls: str | None = None
    sni: str | None = None
    tls: bool | None = None                # ad-hoc: TLS expected (default: from the service)
    level: int | None = None
    profiles: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    waivers_file: str | None = None
    regime: str | None = None
    lang: str = "en"
    ca_file: str | None = None
    concurrency: int = 4
    per_host: int = 2
    rate: float | None = None
    timeout: float = 30.0                  # TLS and HTTP probes
    ports_timeout: float = 120.0           # nmap: -sV on a silent port alone costs about 48 s
    ports_range: str | None = None         # --ports-range: every system's port coverage for this run
    run_timeout: float | None = None
    fail_on: str = "low"
    resolver: str | None = None            # mail checks: DNS server HOST[:PORT] (default: the system's resolver)
    mta_sts_port: int = 443                # mail checks: port of the MTA-STS policy host (RFC 8461: 443; labs only)
    executor: str = "local"                # "local" | "celery" (extra `distributed`)
    broker: str | None = None              # celery: the broker URL, stored WITHOUT its password
    broker_ca: str | None = None           # celery over rediss://: the CA of the broker's certificate
    visibility_timeout: float = 900.0      # celery: seconds before a batch a lost worker held is redelivered
    # check name -> params laid over those of every control using that check (`secaudit ports --scan/--range`)
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def adhoc(self) -> bool:
        """No inventory: the targets and hosts given on the command line are the declared scope."""
        return bool(self.targets or self.hosts)

    def to_meta(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_meta(cls, data: Mapping[str, Any]) -> "ScanRequest":
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names}
        return cls(**values)

    def limits(self) -> Limits:
        return Limits(concurrency=self.concurrency, per_host=self.per_host, rate=self.rate,
                      probe_timeout=self.timeout, kind_timeouts={"ports": self.ports_timeout},
                      run_deadline=self.run_timeout)


_DEFAULT_SERVICE = {443: Service.HTTPS, 8443: Service.HTTPS, 80: Service.HTTP, 8080: Service.HTTP, 22: Service.SSH,
                    25: Service.SMTP, 587: Service.SMTP, 465: Service.SMTP, 143: Service.IMAP, 993: Service.IMAP,
                    110: Service.POP3, 995: Service.POP3, 636: Service.LDAP, 389: Service.LDAP}


def adhoc_inventory(req: ScanRequest) -> Inventory:
    """A one-system inventory from `--target HOST:PORT...` (and the hosts of `secaudit ports`): the
    targets are the declared scope, validated by :mod:`secaudit.targets` like an inventory's."""
    endpoints: list[Endpoint] = []
    hosts: list[str] = []
    problems = []
    for text in req.targets:
        try:
            endpoints.append(_adhoc_endpoint(req, *parse_hostport(text)))
        except TargetError as e:
            problems.append(Diagnostic("--target", 0, 0, e.key, e.args_for(text)))
    for text in req.hosts:
        try:
            hosts.append(validate_host(text))
        except TargetError as e:
            problems.append(Diagnostic("secaudit", 0, 0, e.key, {"value": text}))
    if req.sni is not None and not is_valid_host(req.sni):
        problems.append(Diagnostic("--sni", 0, 0, "preset.bad_sni", {"value": req.sni}))
    if problems:
        raise InputError(problems)
    names = [e.address for e in endpoints] + [h for h in hosts if h not in {e.host for e in endpoints}]
    system = System(id="target", name=", ".join(names), purpose=Purpose.OTHER, declared_level=req.level,
                    endpoints=tuple(endpoints), hosts=tuple(dict.fromkeys(hosts)),
                    allowed_ports=tuple(req.allowed_ports), source=SourceRef("--target", 1, 1))
    return Inventory(Organisation("ad hoc"), (system,), SourceRef("--target", 1, 1), digest="")


def _adhoc_endpoint(req: ScanRequest, host: str, port: int) -> Endpoint:
    service = Service(req.service) if req.service else _DEFAULT_SERVICE.get(port, Service.HTTPS)
    starttls = Starttls(req.starttls) if req.starttls else None
    tls = service is Service.HTTPS or starttls is not None or service not in (Service.HTTP, Service.SSH,
                                                                              Service.OTHER)
    return Endpoint(host, port, service, starttls, req.sni, tls if req.tls is None else req.tls,
                    SourceRef("--target", 0, 0))


def load_inputs(req: ScanRequest) -> tuple[Inventory, tuple[Waiver, ...], PolicyLibrary]:
    if bool(req.inventory_file) == req.adhoc:
        raise InputError([Diagnostic("secaudit scan", 0, 0, "scan.inventory_or_target")])
    if req.adhoc and not (req.level or req.profiles):
        raise InputError([Diagnostic("secaudit scan", 0, 0, "scan.target_needs_level")])
    if req.resolver:
        try:
            parse_resolver(req.resolver)
        except TargetError as e:
            raise InputError([Diagnostic("--resolver", 0, 0, e.key, {"value": req.resolver})]) from None
    if req.ca_file:
        check_ca_file(req.ca_file)              # before scanning: a bad bundle would make every certificate an ERROR
    inventory = load_inventory(req.inventory_file) if req.inventory_file else adhoc_inventory(req)
    if not inventory.systems:
        raise NothingToCheckError("scan.nothing_to_check", file=req.inventory_file)
    library, _ = load_library(req.profiles)           # --profile: an id or a file, the same everywhere
    waivers = load_waivers_in_use(req.waivers_file, inventory, library) if req.waivers_file else ()
    return with_ports_range(inventory, req.ports_range), waivers, library


def with_ports_range(inventory: Inventory, spec: str | None) -> Inventory:
    """``--ports-range``: the run's port coverage replaces every system's (inventory or level default)."""
    if not spec:
        return inventory
    try:
        coverage = PortCoverage(parse_coverage(spec), "cli")
    except TargetError as e:
        raise InputError([Diagnostic("--ports-range", 0, 0, e.key, {"value": spec})]) from None
    return dataclasses.replace(inventory, systems=tuple(dataclasses.replace(s, port_coverage=coverage)
                                                        for s in inventory.systems))


def load_waivers_in_use(path: str, inventory: Inventory, library: PolicyLibrary) -> tuple[Waiver, ...]:
    """Waivers that name a system of the inventory and a control of the policies: anything else
    would match nothing and be silently ignored, so it is an input error (with "did you mean")."""
    return load_waivers(path, {s.id for s in inventory.systems}, control_ids(library.policies.values()))


def assess(req: ScanRequest, inventory: Inventory, library: PolicyLibrary) -> list[SystemAssessment]:
    profiles = profile_ids(library, req.profiles)
    if req.adhoc:
        found = [adhoc_assessment(inventory.systems[0], library, req.level, profiles)]
    else:
        found = assess_inventory(inventory, library, req.regime, req.systems or None, profiles, req.lang)
    return [with_check_params(a, req.check_params) for a in found] if req.check_params else found


def make_plan(req: ScanRequest, assessments: Sequence[SystemAssessment], inventory: Inventory) -> Plan:
    return build_plan(assessments, checks.REGISTRY, None, req.only or None)


def inventory_scope(inventory: Inventory) -> tuple[str, ...]:
    """The only hosts any probe may touch: the inventory's endpoint hosts (and ad-hoc hosts), and the SSH
    hosts of host checks with their jump hosts."""
    return tuple(sorted({e.host for s in inventory.systems for e in s.endpoints}
                        | {h for s in inventory.systems for h in s.hosts}
                        | {h.address for s in inventory.systems for h in s.ssh_hosts}
                        | {h.jump.host for s in inventory.systems for h in s.ssh_hosts if h.jump}))


def runner_context(req: ScanRequest, inventory: Inventory) -> RunnerContext:
    """What every family's runner gets: the inventory's scope and the run's options."""
    return RunnerContext(scope=inventory_scope(inventory), ca_file=req.ca_file,
                         options={"resolver": req.resolver, "mta_sts_port": req.mta_sts_port})


@dataclass
class ScanOutcome:
    results: Results
    summary: ExecutionSummary
    run_id: str
    journal: Journal
    assessments: list[SystemAssessment] = field(default_factory=list)


def start_run(req: ScanRequest, runs_base: Path) -> tuple[Journal, str]:
    run_id = new_run_id()
    journal = Journal.create(runs_base, run_id, {
        "request": req.to_meta(), "tool_version": __version__,
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "complete": False,
    })
    return journal, run_id


def make_executor(req: ScanRequest, inventory: Inventory, plan: Plan, run_id: str, broker: Any = None) -> Any:
    """The executor the request asks for: local (in-process) or celery (per-zone queues on a broker)."""
    if req.executor == "celery":
        broker = broker or broker_config(req.broker or "", ca_file=req.broker_ca,
                                         visibility_timeout=req.visibility_timeout)
        settings = RunSettings.of(req.ca_file, runner_context(req, inventory).options)   # travels with every batch
        return CeleryExecutor(broker, run_id, zones_by_host(inventory), default_runners(), req.limits(),
                              settings=settings)

    return LocalExecutor(runners(runner_context(req, inventory), sorted({p.kind for p in plan.probes})),
                         req.limits())


def execute_scan(req: ScanRequest, journal: Journal, run_id: str, observer: ExecutionObserver | None = None,
                 executor: Any = None, broker: Any = None) -> ScanOutcome:
    """Plan and execute a scan; ``broker`` (a BrokerConfig with its password) serves ``executor=celery``."""
    def run_plan(inventory: Inventory, plan: Plan) -> ExecutionSummary:
        chosen = executor or make_executor(req, inventory, plan, run_id, broker)
        try:
            summary = chosen.execute(plan.probes, journal, observer)
        finally:
            journal.close()
        release_free_memory()       # what the probes' threads freed, before evaluation and reports allocate
        return summary

    results, summary, assessments = journal_to_results(req, journal, run_id, run_plan)
    return ScanOutcome(results, summary, run_id, journal, list(assessments))  # type: ignore[arg-type]


def results_from_journal(journal: Journal, run_id: str, overrides: Mapping[str, Any] | None = None) -> Results:
    """A run's results rebuilt from its journal alone (``secaudit report RUN_ID``): no probe is run.

    The inputs (inventory, waivers, policies) are read again; probes the run never finished
    make their controls "not measured", and the results say the run is incomplete."""
    meta = journal.meta()
    req = ScanRequest.from_meta({**meta["request"], **(overrides or {})})
    req = dataclasses.replace(req, ca_file=None)   # nothing is scanned: the CA bundle is not needed
    return journal_to_results(req, journal, run_id)[0]


def journal_to_results(req: ScanRequest, journal: Journal, run_id: str,
                       execute: Callable[[Inventory, Plan], ExecutionSummary] | None = None,
                       ) -> tuple[Results, ExecutionSummary | None, Sequence[SystemAssessment]]:
    """The one way from a run's journal to its results. The inputs are read again (the inventory must be the
    one the run started with), the systems assessed and the probes planned; with ``execute``, the plan is run
    into the journal and the run's end recorded in it; then the planned probes' observations are evaluated.
    Probes without an observation make the results incomplete."""
    inventory, waivers, library = load_inputs(req)
    meta = journal.meta()
    if meta.get("inventory_digest") and meta["inventory_digest"] != inventory.digest:
        raise InputError([Diagnostic(req.inventory_file or "-", 0, 0, "scan.inventory_changed", {"run": run_id})])
    if execute is not None:
        journal.update_meta(inventory_digest=inventory.digest)
    assessments = assess(req, inventory, library)
    plan = make_plan(req, assessments, inventory)
    summary = execute(inventory, plan) if execute is not None else None
    wanted = {p.id for p in plan.probes}
    observations = tuple(o for o in journal.observations() if o.probe_id in wanted)
    finished = ((meta.get("finished_at") if summary is None else None)
                or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    complete = (summary is None or summary.complete) and len(observations) == len(plan.probes)
    if summary is not None:
        journal.update_meta(finished_at=finished, complete=complete)
    results = build_results(req, run_id, meta.get("started_at", finished), finished, inventory, library, assessments,
                            observations, waivers, checks.REGISTRY, complete)
    return results, summary, assessments


def build_results(req: ScanRequest, run_id: str, started: str, finished: str, inventory: Inventory,
                  library: PolicyLibrary, assessments: Sequence[SystemAssessment], observations: Sequence[Any],
                  waivers: Sequence[Waiver], registry: Mapping[str, Any], complete: bool,
                  now: dt.datetime | None = None) -> Results:
    ev = evaluate(assessments, observations, registry, waivers, now, req.only or None, regime_citer(req.regime))
    used = sorted({pid for a in assessments for p in a.policies.values() for pid in p.chain})
    return Results(
        run=RunInfo(id=run_id, started_at=started, finished_at=finished, tool_version=__version__,
                    inventory_file=req.inventory_file or "--target", inventory_digest=inventory.digest,
                    regime=req.regime or _default_regime(), policies={p: library.digests.get(p, "") for p in used},
                    complete=complete, fail_on=req.fail_on, only=tuple(req.only), profiles=tuple(req.profiles),
                    level=req.level),
        inventory=inventory, systems=ev.systems, controls=ev.controls, findings=ev.findings,
        observations=tuple(observations), expired_waivers=ev.expired_waivers,
    )


def regime_citer(regime: str | None) -> Citer:
    """What findings cite under ``regime``: its standard's catalogue at each system's level."""
    reg = load_regime(regime or _default_regime())
    return citer_for(reg.id, reg.standard)


def _default_regime() -> str:
    return DEFAULT_REGIME


def reevaluate(results: Results, waivers: Sequence[Waiver], req: ScanRequest, library: PolicyLibrary | None = None,
               now: dt.datetime | None = None) -> Results:
    """`secaudit report`: judge stored observations again (new waivers or policies), without scanning."""
    # judge with the scope the scan had: the same --only, --profile and (ad hoc) --level
    req = dataclasses.replace(req, only=req.only or results.run.only, profiles=req.profiles or results.run.profiles,
                              level=req.level or results.run.level)
    library = library or load_library(req.profiles)[0]
    if req.adhoc or results.run.inventory_file == "--target":
        profiles = profile_ids(library, req.profiles)
        assessments = [adhoc_assessment(s, library, req.level, profiles) for s in results.inventory.systems]
    else:
        assessments = assess(req, results.inventory, library)
    return build_results(req, results.run.id, results.run.started_at, results.run.finished_at, results.inventory,
                         library, assessments, results.observations, waivers, checks.REGISTRY, results.run.complete, now)
