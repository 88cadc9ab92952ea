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
    UNCLASSIFIED, Endpoint, Inventory, Organisation, PortCoverage, Purpose, Results, RunInfo, Service, SourceRef,
    Starttls, System, Waiver,
)
from secaudit.plan import Plan, SystemAssessment, build_plan
from secaudit.policy import PolicyLibrary, load_library, profile_ids
from secaudit.probes.interface import RunnerContext, Subject
from secaudit.requirements.citation import Citer, citer_for
from secaudit.targets import TargetError, is_valid_host, parse_coverage, parse_hostport, validate_host
from secaudit.probes.registry import families, family_or_generic, get, option_values, options_of, runners
from secaudit.probes.registry import family_options as registered_options
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
    # --ports-range: every system's port coverage for this run. It stays here, not with the ports family: it
    # overrides an inventory field (System.port_coverage) before planning, which family options never reach
    ports_range: str | None = None
    run_timeout: float | None = None
    fail_on: str = "low"
    executor: str = "local"                # "local" | "celery" (extra `distributed`)
    broker: str | None = None              # celery: the broker URL, stored WITHOUT its password
    broker_ca: str | None = None           # celery over rediss://: the CA of the broker's certificate
    visibility_timeout: float = 900.0      # celery: seconds before a batch a lost worker held is redelivered
    # check name -> params laid over those of every control using that check (`secaudit ports --scan/--range`)
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # family kind -> {option name: value}: the families' own options (FamilyOption) the user set; each
    # family's runner gets these and the defaults of the rest
    family_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

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
        given = {kind: dict(opts) for kind, opts in (data.get("family_options") or {}).items()}
        # a run.json written before the families owned their options names them beside the request's own
        # fields (resolver, mta_sts_port, ports_timeout): each is an option of the family that declares it now
        for kind, option in registered_options():
            value = data.get(option.name)
            if option.name not in names and value is not None and value != option.default:
                given.setdefault(kind, {}).setdefault(option.name, value)
        values["family_options"] = {kind: {name: (tuple(v) if isinstance(v, list) else v) for name, v in opts.items()}
                                    for kind, opts in given.items() if opts}
        return cls(**values)

    def options_of(self, kind: str) -> dict[str, Any]:
        """Every option of family ``kind``: the value set in this request, else the option's default."""
        return option_values(kind, self.family_options.get(kind))

    def limits(self) -> Limits:
        """The executor's limits; a family's batch deadline is its option named by ``batch_timeout_option``."""
        kind_timeouts = {f.kind: float(self.options_of(f.kind)[f.batch_timeout_option])
                         for f in families() if getattr(f, "batch_timeout_option", None)}
        return Limits(concurrency=self.concurrency, per_host=self.per_host, rate=self.rate,
                      probe_timeout=self.timeout, kind_timeouts=kind_timeouts, run_deadline=self.run_timeout)


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
    check_family_options(req.family_options)
    if req.ca_file:
        check_ca_file(req.ca_file)              # before scanning: a bad bundle would make every certificate an ERROR
    inventory = load_inventory(req.inventory_file) if req.inventory_file else adhoc_inventory(req)
    # a family judging subjects of its own refuses bad options (InputError, ScopeError) before anything runs
    if family_subjects(req, inventory, lookups=False) is None and not inventory.systems:
        raise NothingToCheckError("scan.nothing_to_check", file=req.inventory_file)
    library, _ = load_library(req.profiles)           # --profile: an id or a file, the same everywhere
    waivers = load_waivers_in_use(req.waivers_file, inventory, library) if req.waivers_file else ()
    return with_ports_range(inventory, req.ports_range), waivers, library


def check_family_options(given: Mapping[str, Mapping[str, Any]]) -> None:
    """Every family option set is one its family declares, with a value its ``validate`` accepts: an
    InputError naming the option otherwise (exit 2, before anything runs)."""
    problems = []
    for kind, values in given.items():
        try:
            declared = {o.name: o for o in options_of(get(kind))}
        except KeyError:
            declared = {}
        for name, value in values.items():
            option = declared.get(name)
            flag = option.flag if option else "--" + name.replace("_", "-")
            try:
                if option is None:
                    raise ValueError(f"the {kind} family has no option {flag}")
                option.normalise(value)
            except TargetError as e:
                problems.append(Diagnostic(flag, 0, 0, e.key, e.args_for(value)))
            except InputError as e:
                problems.extend(e.diagnostics)
            except ValueError as e:
                problems.append(Diagnostic(flag, 0, 0, "scan.bad_family_option", {"kind": kind, "reason": str(e)}))
    if problems:
        raise InputError(problems)


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


def family_subjects(req: ScanRequest, inventory: Inventory, *, observed: Mapping[str, Sequence[str]] | None = None,
                    lookups: bool = True) -> list[Subject] | None:
    """What the families ``--only`` names judge of their own (their planning hook, ``subjects``: discovery's
    zones), or None when none of them does: the run judges the inventory's systems (an ad-hoc run's inventory
    is its targets). ``observed`` (kind -> probe targets): re-judging a run's stored observations."""
    found: list[Subject] | None = None
    for kind in dict.fromkeys(req.only):
        hook = getattr(family_or_generic(kind), "subjects", None)
        got = hook(inventory, req.options_of(kind), source=req.inventory_file or "-",
                   observed=None if observed is None else tuple(observed.get(kind, ())),
                   lookups=lookups) if hook is not None else None
        if got is not None:
            found = [*(found or ()), *got]
    return found


def subject_assessment(subject: Subject, library: PolicyLibrary) -> SystemAssessment:
    """A family's subject as the plan and evaluation see a system: judged against its policy (from the library,
    so the run records its digest), with the family's params laid over, not classified (no level of its own)."""
    found = SystemAssessment(subject.system, None, None, 1, "", {1: library.resolve(subject.policy)}, subject.notes,
                             family_subject=True)
    return with_check_params(found, subject.check_params) if subject.check_params else found


def assess(req: ScanRequest, inventory: Inventory, library: PolicyLibrary,
           observed: Mapping[str, Sequence[str]] | None = None) -> list[SystemAssessment]:
    subjects = family_subjects(req, inventory, observed=observed)
    if subjects is not None:
        return [subject_assessment(s, library) for s in subjects]
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
    hosts of host checks with their jump hosts; and the only networks: those its zones declare (discovery)."""
    return tuple(sorted({e.host for s in inventory.systems for e in s.endpoints}
                        | {n for z in inventory.zones for n in z.networks}
                        | {h for s in inventory.systems for h in s.hosts}
                        | {h.address for s in inventory.systems for h in s.ssh_hosts}
                        | {h.jump.host for s in inventory.systems for h in s.ssh_hosts if h.jump}))


def runner_context(req: ScanRequest, inventory: Inventory, kind: str | None = None) -> RunnerContext:
    """What the runner of family ``kind`` gets: the inventory's scope, the CA bundle and every option of
    the family (the request's value or the default); without ``kind``, no family's options."""
    return RunnerContext(scope=inventory_scope(inventory), ca_file=req.ca_file,
                         options=req.options_of(kind) if kind else {})


@dataclass
class ScanOutcome:
    results: Results
    summary: ExecutionSummary
    run_id: str
    journal: Journal
    assessments: list[SystemAssessment] = field(default_factory=list)


def start_run(req: ScanRequest, runs_base: Path, command: str = "scan") -> tuple[Journal, str]:
    """A new run's journal; its run.json keeps the request and the ``command`` that started it (the only one that
    may resume it: a preset's reports and store differ from scan's)."""
    run_id = new_run_id()
    journal = Journal.create(runs_base, run_id, {
        "request": req.to_meta(), "command": command, "tool_version": __version__,
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "complete": False,
    })
    return journal, run_id


def make_executor(req: ScanRequest, inventory: Inventory, plan: Plan, run_id: str, broker: Any = None) -> Any:
    """The executor the request asks for: local (in-process) or celery (per-zone queues on a broker)."""
    if req.executor == "celery":
        broker = broker or broker_config(req.broker or "", ca_file=req.broker_ca,
                                         visibility_timeout=req.visibility_timeout)
        settings = RunSettings.of(req.ca_file, {})         # travels with every batch, with its family's options
        kinds = sorted({p.kind for p in plan.probes})
        zones = {**zones_by_host(inventory), **network_zones(plan)}
        return CeleryExecutor(broker, run_id, zones, default_runners(), req.limits(),
                              settings=settings, family_options={k: req.options_of(k) for k in kinds})

    return LocalExecutor(runners(runner_context(req, inventory), sorted({p.kind for p in plan.probes}),
                                 req.family_options), req.limits())


def network_zones(plan: Plan) -> dict[str, str]:
    """Network probe target -> the zone whose workers sweep it (discovery: the zone the network was declared in)."""
    return {n: a.system.zone for a in plan.assessments if a.system.zone for n in a.system.networks}


def started_by(meta: Mapping[str, Any], command: str, fixed_only: Sequence[str] = ()) -> str:
    """The command that started a run, from its run.json. A run.json written before the command was kept: the
    preset whose fixed ``--only`` (``fixed_only``) the run's request has, else ``scan``."""
    if meta.get("command"):
        return str(meta["command"])
    only = tuple((meta.get("request") or {}).get("only") or ())
    return command if fixed_only and only == tuple(fixed_only) else "scan"


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
                    regime=run_regime(req, assessments), policies={p: library.digests.get(p, "") for p in used},
                    complete=complete, fail_on=req.fail_on, only=tuple(req.only), profiles=tuple(req.profiles),
                    level=req.level),
        inventory=inventory, systems=ev.systems, controls=ev.controls, findings=ev.findings,
        observations=tuple(observations), expired_waivers=ev.expired_waivers,
    )


def run_regime(req: ScanRequest, assessments: Sequence[SystemAssessment] = ()) -> str:
    """The regime the run's systems were classified under; "-" when it judged a family's own subjects
    (discovery's zones), which are not classified."""
    if assessments and all(a.family_subject for a in assessments):
        return UNCLASSIFIED
    return req.regime or _default_regime()


def regime_citer(regime: str | None) -> Citer:
    """What findings cite under ``regime``: its standard's catalogue at each system's level."""
    reg = load_regime(regime or _default_regime())
    return citer_for(reg.id, reg.standard, reg.catalogue)


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
        # a family's own subjects are judged as the run measured them: its observed targets (the run's options
        # are not in the results); their regime "-" is not a regime
        observed: dict[str, list[str]] = {}
        for o in results.observations:
            observed.setdefault(o.kind, []).append(o.target)
        if results.run.regime == UNCLASSIFIED:
            req = dataclasses.replace(req, regime=None)
        assessments = assess(req, results.inventory, library, {k: tuple(dict.fromkeys(v)) for k, v in observed.items()})
    return build_results(req, results.run.id, results.run.started_at, results.run.finished_at, results.inventory,
                         library, assessments, results.observations, waivers, checks.REGISTRY, results.run.complete, now)
