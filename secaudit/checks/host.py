"""Host checks (pure): what an SSH login read on a server (``host`` observations), judged per control.

Every verdict says what was read and from where, with the raw values as evidence (``PASS_MAX_DAYS 99999``,
``deny=0``). Nothing passes by absence: a file the login could not read is "not assessed: needs root"
(ERROR), an operating system other than the Debian and RHEL families is "not assessed: unsupported OS",
and a command that did not answer in time is an ERROR.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from typing import Any, Callable, Iterable, Mapping

from secaudit.checks._common import facts_or_error
from secaudit.checks._tls_common import STRING_LIST, outcome, param
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.checks.host_eol import AS_OF, end_of_support
from secaudit.model import Outcome, Verdict
from secaudit.observations.host import (
    DENIED, MISSING, OK, TIMEOUT, CommandRun, FileRead, HostFacts, PamLine, accounts, apt_security_updates,
    dnf_security_updates, key_values, lastlog, login_defs, pam_args, pam_lines, proc_net_listeners,
    processes, sshd_config_files, tmout_values, words_table,
)
import shlex

NEEDS = frozenset({"host:login"})
DEBIAN_IDS = {"debian", "ubuntu"}
RHEL_IDS = {"rhel", "centos", "rocky", "almalinux", "ol", "fedora"}
Ev = list[tuple[str, Any]]


# ----------------------------------------------------------------------------- shared


def _facts(ctx: CheckContext) -> HostFacts | Outcome:
    return facts_or_error(ctx, "host", HostFacts, "host.error.not_measured", "host.error.probe", {"host": ctx.target})


def os_family(facts: HostFacts) -> tuple[str | None, dict[str, str]]:
    release = key_values(facts.file("/etc/os-release").text)
    os_id = release.get("ID", "").lower()
    like = set(release.get("ID_LIKE", "").lower().split())
    if os_id in DEBIAN_IDS or "debian" in like:
        return "debian", release
    if os_id in RHEL_IDS or like & {"rhel", "fedora", "centos"}:
        return "rhel", release
    return None, release


def _host(ctx: CheckContext) -> tuple[HostFacts, str] | Outcome:
    """Facts of a supported host, or the outcome to return instead."""
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    family, release = os_family(facts)
    if family is None:
        return outcome(Verdict.ERROR, "host.na.unsupported_os", [("host.ev.os", release.get("PRETTY_NAME") or "-")],
                       os=release.get("PRETTY_NAME") or release.get("ID") or "unknown")
    return facts, family


def _on_host(judge: Callable[[Mapping[str, Any], CheckContext, HostFacts, str], Outcome]) -> Callable[
        [Mapping[str, Any], CheckContext], Outcome]:
    """A host check as the registry calls it, ``(params, ctx)``: ``judge`` gets the facts of a supported host and
    its OS family, and the outcome of :func:`_host` (not measured, probe error, unsupported OS) stands otherwise."""
    @functools.wraps(judge)
    def check(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
        got = _host(ctx)
        if isinstance(got, Outcome):
            return got
        return judge(params, ctx, *got)
    return check


def _needs_root(what: str) -> Outcome:
    return outcome(Verdict.ERROR, "host.na.needs_root", [("host.ev.denied", what)], what=what)


def _unreadable(f: FileRead) -> Outcome | None:
    if f.status == DENIED:
        return _needs_root(f.path)
    if f.status not in (OK, MISSING):
        return outcome(Verdict.ERROR, "host.error.file", path=f.path, reason=f.text or f.status)
    return None


def _command_problem(run: CommandRun) -> Outcome | None:
    if run.status == DENIED:
        return _needs_root(run.name)
    if run.status == TIMEOUT:
        return outcome(Verdict.ERROR, "host.error.timeout", command=run.name, reason=run.stderr)
    return None


def _existing(facts: HostFacts, paths: Iterable[str]) -> list[FileRead]:
    return [f for f in (facts.file(p) for p in paths) if f.status != MISSING]


def _pam(facts: HostFacts, family: str, kind: str) -> tuple[list[PamLine], list[FileRead]]:
    files = {"debian": {"password": ["/etc/pam.d/common-password"], "auth": ["/etc/pam.d/common-auth"]},
             "rhel": {"password": ["/etc/pam.d/system-auth", "/etc/pam.d/password-auth"],
                      "auth": ["/etc/pam.d/system-auth", "/etc/pam.d/password-auth"]}}[family][kind]
    read = [facts.file(p) for p in files]
    lines = [ln for f in read if f.status == OK for ln in pam_lines(f.path, f.text) if ln.kind == kind]
    return lines, read


# ----------------------------------------------------------------------------- HOST-OS-01


@_on_host
def os_supported(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    release = key_values(facts.file("/etc/os-release").text)
    os_id, version = release.get("ID", "").lower(), release.get("VERSION_ID", "")
    pretty = release.get("PRETTY_NAME") or f"{os_id} {version}"
    ev: Ev = [("host.ev.os", pretty), ("host.ev.source", "/etc/os-release"), ("host.ev.eol_table", AS_OF.isoformat())]
    end = end_of_support(os_id, version)
    if end is None:
        return outcome(Verdict.ERROR, "host.os.unknown_release", ev, os=pretty, as_of=AS_OF.isoformat())
    ev.append(("host.ev.end_of_support", end.isoformat()))
    if end < ctx.now.date():
        return outcome(Verdict.FAIL, "host.os.fail", ev, os=pretty, end=end.isoformat())
    return outcome(Verdict.PASS, "host.os.pass", ev, os=pretty, end=end.isoformat())


# ----------------------------------------------------------------------------- HOST-PWD-01


@_on_host
def password_policy(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, family: str) -> Outcome:
    min_length = int(param(params, "min_length", 8))
    min_classes = int(param(params, "min_classes", 3))
    max_age = int(param(params, "max_age_days", 90))
    defs_file = facts.file("/etc/login.defs")
    problem = _unreadable(defs_file)
    if problem:
        return problem
    lines, read = _pam(facts, family, "password")
    for f in read:
        problem = _unreadable(f)
        if problem:
            return problem
    defs = login_defs(defs_file.text)
    raw_age = defs.get("PASS_MAX_DAYS", "99999")
    ev: Ev = [("host.ev.login_defs", f"PASS_MAX_DAYS {raw_age}")]
    problems: list[str] = []
    age = int(raw_age) if raw_age.lstrip("-").isdigit() else 99999
    if max_age and (age <= 0 or age > max_age):          # max_age_days 0: ageing is not a row at this level
        problems.append(f"PASS_MAX_DAYS {raw_age} > {max_age}")
    quality = next((ln for ln in lines if ln.module in ("pam_pwquality.so", "pam_cracklib.so")), None)
    if quality is None:
        problems.append("no pam_pwquality/pam_cracklib in " + ", ".join(f.path for f in read if f.status == OK))
        ev.append(("host.ev.pam", "-"))
    else:
        conf = {}
        for f in [facts.file("/etc/security/pwquality.conf")] + facts.files_under("/etc/security/pwquality.conf.d"):
            conf.update(key_values(f.text))
        conf.update(pam_args(quality.args))
        ev.append(("host.ev.pam", f"{quality.file}: {quality.line}"))
        minlen = int(conf.get("minlen", "9") or 9)      # pam_pwquality's default is 9 (8 for cracklib's credits)
        classes = _classes(conf)
        ev.append(("host.ev.pwquality", f"minlen={conf.get('minlen', '(default 9)')} minclass={conf.get('minclass', '-')}"))
        if minlen < min_length:
            problems.append(f"minlen={minlen} < {min_length}")
        if classes < min_classes:
            problems.append(f"{classes} character class(es) required < {min_classes}")
    if problems:
        return outcome(Verdict.FAIL, "host.pwd.fail", ev, problems="; ".join(problems))
    if not max_age:
        return outcome(Verdict.PASS, "host.pwd.pass_length", ev, length=min_length)
    return outcome(Verdict.PASS, "host.pwd.pass", ev, length=min_length, classes=min_classes, age=max_age)


def _classes(conf: Mapping[str, str]) -> int:
    try:
        minclass = int(conf.get("minclass", "0") or 0)
    except ValueError:
        minclass = 0
    credits = 0
    for k in ("dcredit", "ucredit", "lcredit", "ocredit"):
        try:
            credits += int(conf.get(k, "0") or 0) < 0
        except ValueError:
            continue
    return max(minclass, credits)


# ----------------------------------------------------------------------------- HOST-LOCK-01


@_on_host
def lockout(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, family: str) -> Outcome:
    limit = int(param(params, "max_attempts", 5))
    lines, read = _pam(facts, family, "auth")
    for f in read:
        problem = _unreadable(f)
        if problem:
            return problem
    module = next((ln for ln in lines if ln.module in ("pam_faillock.so", "pam_tally2.so")), None)
    if module is None:
        return outcome(Verdict.FAIL, "host.lock.fail_none", [("host.ev.pam", ", ".join(f.path for f in read))],
                       files=", ".join(f.path for f in read if f.status == OK) or "-")
    conf_file = facts.file("/etc/security/faillock.conf")
    conf = key_values(conf_file.text) if module.module == "pam_faillock.so" else {}
    args = {**conf, **pam_args(ln for m in lines if m.module == module.module for ln in m.args)}
    raw = args.get("deny", "3" if module.module == "pam_faillock.so" else "0")
    ev: Ev = [("host.ev.pam", f"{module.file}: {module.line}"), ("host.ev.deny", f"deny={raw}")]
    if conf_file.status == OK and module.module == "pam_faillock.so":
        ev.append(("host.ev.source", "/etc/security/faillock.conf"))
    deny = int(raw) if raw.isdigit() else 0
    if deny == 0 or deny > limit:
        return outcome(Verdict.FAIL, "host.lock.fail_deny", ev, deny=raw, limit=limit)
    return outcome(Verdict.PASS, "host.lock.pass", ev, deny=deny, limit=limit, unlock=args.get("unlock_time", "-"))


# ----------------------------------------------------------------------------- HOST-IDLE-01


@_on_host
def idle_timeout(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    limit_s = int(param(params, "max_minutes", 15)) * 60
    shells = _existing(facts, ["/etc/profile", "/etc/bash.bashrc", "/etc/bashrc"]) + facts.files_under("/etc/profile.d")
    found = tmout_values(shells)
    ev: Ev = [("host.ev.tmout", ", ".join(f"{p}: TMOUT={v}" for p, v in found) or "-")]
    sshd, _source = _sshd(facts)
    channel = (sshd or {}).get("channeltimeout", "")
    ev.append(("host.ev.sshd", f"ChannelTimeout {channel or '-'}; ClientAliveInterval {(sshd or {}).get('clientaliveinterval', '-')}"))
    ok_shell = [v for _p, v in found if 0 < v <= limit_s]
    session = _duration(channel, "session")
    if ok_shell or (session is not None and 0 < session <= limit_s):
        return outcome(Verdict.PASS, "host.idle.pass", ev, minutes=limit_s // 60)
    return outcome(Verdict.FAIL, "host.idle.fail", ev, minutes=limit_s // 60)


def _duration(channel_timeout: str, kind: str) -> int | None:
    """``session=15m`` in sshd's ChannelTimeout -> 900."""
    for part in channel_timeout.split():
        name, _, value = part.partition("=")
        if name.split(":")[0] in (kind, "*") and value:
            total, num = 0, ""
            for ch in value:
                if ch.isdigit():
                    num += ch
                elif num:
                    total += int(num) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}.get(ch.lower(), 1)
                    num = ""
            return total + (int(num) if num else 0)
    return None


# ----------------------------------------------------------------------------- HOST-ACCT-01 / 02


def _account_files(facts: HostFacts) -> tuple[str, str] | Outcome:
    passwd, shadow = facts.file("/etc/passwd"), facts.file("/etc/shadow")
    for f in (passwd, shadow):
        if f.status == MISSING:
            return outcome(Verdict.ERROR, "host.error.file", path=f.path, reason="missing")
        problem = _unreadable(f)
        if problem:
            return problem
    return passwd.text, shadow.text


@_on_host
def default_accounts(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    texts = _account_files(facts)
    if isinstance(texts, Outcome):
        return texts
    named = set(param(params, "names", ["guest", "test", "demo", "admin", "user", "oracle", "postgres", "ftp"]))
    today = ctx.now.date()
    usable = []
    for a in accounts(*texts):
        if a.uid == 0 or a.expired(today):
            continue
        if (a.uid < 1000 or a.name in named) and a.login_shell and a.password_usable:
            usable.append(f"{a.name} (uid {a.uid}, {a.shell}, password set)")
    ev: Ev = [("host.ev.source", "/etc/passwd, /etc/shadow"), ("host.ev.accounts", usable)]
    if usable:
        return outcome(Verdict.FAIL, "host.acct.default_fail", ev, accounts=", ".join(usable))
    return outcome(Verdict.PASS, "host.acct.default_pass", ev)


@_on_host
def inactive_accounts(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    days = int(param(params, "inactive_days", 45))
    texts = _account_files(facts)
    if isinstance(texts, Outcome):
        return texts
    run = facts.command("lastlog")
    problem = _command_problem(run)
    if problem:
        return problem
    if run.status != OK:
        return outcome(Verdict.ERROR, "host.error.command", command="lastlog", reason=run.stderr or run.status)
    last = lastlog(run.stdout)
    today = ctx.now.date()
    cutoff = ctx.now - dt.timedelta(days=days)
    stale = []
    for a in accounts(*texts):
        if a.uid < 1000 or a.uid == 65534 or not a.login_shell or a.expired(today) or a.name == facts.user:
            continue
        when = last.get(a.name)
        if a.name not in last or when is None:
            created = (dt.date(1970, 1, 1) + dt.timedelta(days=a.changed_day)) if a.changed_day else None
            if created is None or created < cutoff.date():     # a new account is not yet an unused one
                stale.append(f"{a.name} (never logged in)")
        elif when < cutoff:
            stale.append(f"{a.name} (last login {when.date().isoformat()})")
    ev: Ev = [("host.ev.source", "/etc/passwd, /etc/shadow, lastlog"), ("host.ev.accounts", stale)]
    if stale:
        return outcome(Verdict.FAIL, "host.acct.inactive_fail", ev, days=days, accounts=", ".join(stale))
    return outcome(Verdict.PASS, "host.acct.inactive_pass", ev, days=days)


# ----------------------------------------------------------------------------- HOST-SSHD-01


def _sshd(facts: HostFacts) -> tuple[dict[str, str] | None, str]:
    run = facts.command("sshd")
    if run.status == OK and run.stdout.strip():
        return words_table(run.stdout), "sshd -T"
    main = facts.file("/etc/ssh/sshd_config")
    if main.status == OK:
        return sshd_config_files(main, facts.files_under("/etc/ssh/sshd_config.d")), "/etc/ssh/sshd_config"
    return None, ""


_SSHD_DEFAULTS = {"permitrootlogin": "prohibit-password", "passwordauthentication": "yes",
                  "kbdinteractiveauthentication": "yes"}


@_on_host
def sshd_settings(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    settings, source = _sshd(facts)
    if settings is None:
        run = facts.command("sshd")
        return _command_problem(run) or _unreadable(facts.file("/etc/ssh/sshd_config")) or \
            outcome(Verdict.ERROR, "host.error.command", command="sshd -T", reason=run.stderr or run.status)
    wanted = {"permitrootlogin": list(param(params, "root_login", ["no"])),
              "passwordauthentication": ["no"], "kbdinteractiveauthentication": ["no"]}
    values = {k: settings.get(k, _SSHD_DEFAULTS[k]).lower() for k in wanted}
    ev: Ev = [("host.ev.source", source)] + [("host.ev.sshd", f"{k} {v}") for k, v in values.items()]
    bad = [f"{k} {v}" for k, v in values.items() if v not in wanted[k]]
    if bad:
        return outcome(Verdict.FAIL, "host.sshd.fail", ev, settings=", ".join(bad), source=source)
    return outcome(Verdict.PASS, "host.sshd.pass", ev, source=source)


# ----------------------------------------------------------------------------- HOST-TIME-01


TIME_DAEMONS = ("chronyd", "systemd-timesyn", "ntpd", "ntpsec", "openntpd")


@_on_host
def time_sync(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    running = sorted(processes(facts.command("procs").stdout) & set(TIME_DAEMONS))
    chrony, timedatectl = facts.command("chrony"), facts.command("timedatectl")
    stats = _stats(facts)
    ev: Ev = [("host.ev.daemons", running)]
    if chrony.status == OK:
        leap = words_after(chrony.stdout, "Leap status")
        ev.append(("host.ev.chrony", f"Leap status: {leap or '-'}"))
        if leap.lower() == "normal":
            return outcome(Verdict.PASS, "host.time.pass", ev, source="chronyc tracking")
    if timedatectl.status == OK:
        ev.append(("host.ev.timedatectl", f"NTPSynchronized={timedatectl.stdout.strip()}"))
        if timedatectl.stdout.strip() == "yes":
            return outcome(Verdict.PASS, "host.time.pass", ev, source="timedatectl")
    marker = "/run/systemd/timesync/synchronized"
    if marker in stats and "systemd-timesyn" in running:
        ev.append(("host.ev.source", marker))
        return outcome(Verdict.PASS, "host.time.pass", ev, source=marker)
    if not running:
        return outcome(Verdict.FAIL, "host.time.fail_none", ev)
    return outcome(Verdict.FAIL, "host.time.fail_unsynced", ev, daemons=", ".join(running))


def words_after(text: str, label: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith(label) and ":" in line:
            return line.split(":", 1)[1].strip()
    return ""


def _stats(facts: HostFacts) -> dict[str, tuple[str, int]]:
    """``stat`` lines ``path|type|mtime`` -> path -> (type, mtime)."""
    out: dict[str, tuple[str, int]] = {}
    for line in facts.command("stat").stdout.splitlines():
        parts = line.rsplit("|", 2)
        if len(parts) == 3 and parts[2].isdigit():
            out[parts[0]] = (parts[1], int(parts[2]))
    return out


# ----------------------------------------------------------------------------- HOST-LOG-01 / 02


def _forwarding(facts: HostFacts) -> list[str]:
    found = []
    for f in _existing(facts, ["/etc/rsyslog.conf"]) + facts.files_under("/etc/rsyslog.d"):
        for line in f.text.splitlines():
            s = line.strip()
            if s.startswith("#"):
                continue
            if "omfwd" in s or "omrelp" in s or (" @" in f" {s}" and any(w.startswith("@") for w in s.split())):
                found.append(f"{f.path}: {s}")
    return found


@_on_host
def logging(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    need_forward = bool(param(params, "require_forwarding", True))
    journald = {}
    for f in _existing(facts, ["/etc/systemd/journald.conf"]) + facts.files_under("/etc/systemd/journald.conf.d"):
        journald.update(key_values(f.text))
    storage = journald.get("Storage", "auto").lower()
    stats = _stats(facts)
    running = processes(facts.command("procs").stdout)
    persistent_journal = storage == "persistent" or (storage == "auto" and "/var/log/journal" in stats)
    rsyslog = "rsyslogd" in running or "syslog-ng" in running
    forwards = _forwarding(facts) if rsyslog else []
    ev: Ev = [("host.ev.journald", f"Storage={storage}; /var/log/journal {'present' if '/var/log/journal' in stats else 'absent'}"),
              ("host.ev.syslog", "rsyslogd running" if rsyslog else "no syslog daemon running"),
              ("host.ev.forwarding", forwards)]
    persistent = persistent_journal or rsyslog
    problems = []
    if not persistent:
        problems.append("logs are kept in memory only (no persistent journal, no syslog daemon)")
    if need_forward and not forwards:
        problems.append("logs are not forwarded to a central log server")
    if problems:
        return outcome(Verdict.FAIL, "host.log.fail", ev, problems="; ".join(problems))
    return outcome(Verdict.PASS, "host.log.pass", ev)


_PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "yearly": 366}


@_on_host
def log_retention(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    months = int(param(params, "months", 6))
    need_days = months * 30
    rotate = facts.file("/etc/logrotate.d/rsyslog")
    base = facts.file("/etc/logrotate.conf")
    if rotate.status == OK:
        period, count = _rotation(base.text), None
        period, count = _rotation(rotate.text, period, count)
        if count is not None:
            days = count * _PERIOD_DAYS.get(period, 7)
            ev: Ev = [("host.ev.source", rotate.path), ("host.ev.rotation", f"{period} rotate {count}")]
            if days < need_days:
                return outcome(Verdict.FAIL, "host.logret.fail", ev, days=days, months=months)
            return outcome(Verdict.PASS, "host.logret.pass", ev, days=days, months=months)
    journald = {}
    for f in _existing(facts, ["/etc/systemd/journald.conf"]) + facts.files_under("/etc/systemd/journald.conf.d"):
        journald.update(key_values(f.text))
    retention = journald.get("MaxRetentionSec")
    if retention:
        seconds = _duration(f"session={retention}", "session") or 0
        ev = [("host.ev.source", "/etc/systemd/journald.conf"), ("host.ev.journald", f"MaxRetentionSec={retention}")]
        if seconds < need_days * 86400:
            return outcome(Verdict.FAIL, "host.logret.fail", ev, days=seconds // 86400, months=months)
        return outcome(Verdict.PASS, "host.logret.pass", ev, days=seconds // 86400, months=months)
    return outcome(Verdict.ERROR, "host.logret.unknown", [("host.ev.source", "/etc/logrotate.d/rsyslog, journald.conf")])


def _rotation(text: str, period: str = "weekly", count: int | None = None) -> tuple[str, int | None]:
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] in _PERIOD_DAYS:
            period = words[0]
        elif words[0] == "rotate" and len(words) > 1 and words[1].isdigit():
            count = int(words[1])
    return period, count


# ----------------------------------------------------------------------------- HOST-AUDIT-01


@_on_host
def auditd(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    running = "auditd" in processes(facts.command("procs").stdout)
    files = _existing(facts, ["/etc/audit/audit.rules"]) + facts.files_under("/etc/audit/rules.d")
    for f in files:
        problem = _unreadable(f)
        if problem:
            return problem
    rules = [f"{f.path}: {ln.strip()}" for f in files for ln in f.text.splitlines()
             if ln.strip().startswith(("-w ", "-a "))]
    ev: Ev = [("host.ev.daemons", "auditd running" if running else "auditd not running"),
              ("host.ev.audit_rules", len(rules))]
    if not running:
        return outcome(Verdict.FAIL, "host.audit.fail_stopped", ev)
    if not rules:
        if facts.file("/etc/audit/rules.d").status == DENIED or facts.file("/etc/audit/audit.rules").status == DENIED:
            return _needs_root("/etc/audit")
        return outcome(Verdict.FAIL, "host.audit.fail_rules", ev)
    return outcome(Verdict.PASS, "host.audit.pass", ev, count=len(rules))


# ----------------------------------------------------------------------------- HOST-PATCH-01


@_on_host
def patches(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, family: str) -> Outcome:
    max_age = int(param(params, "max_state_age_days", 7))
    stats = _stats(facts)
    if family == "debian":
        run, pending_of, state = facts.command("apt"), apt_security_updates, ["/var/lib/apt/periodic/update-success-stamp",
                                                                           "/var/lib/apt/lists"]
    else:
        run, pending_of, state = facts.command("dnf"), dnf_security_updates, ["/var/cache/dnf"]
    problem = _command_problem(run)
    if problem:
        return problem
    if run.status != OK:
        return outcome(Verdict.ERROR, "host.error.command", command=run.name, reason=(run.stderr or run.status)[:300])
    mtime = max((stats[p][1] for p in state if p in stats), default=None)
    age = None if mtime is None else (ctx.now - dt.datetime.fromtimestamp(mtime, dt.timezone.utc)).days
    pending = pending_of(run.stdout)
    ev: Ev = [("host.ev.source", run.name), ("host.ev.pending", pending),
              ("host.ev.state_age", "-" if age is None else f"{age} day(s)")]
    if pending:
        return outcome(Verdict.FAIL, "host.patch.fail", ev, count=len(pending), packages=", ".join(pending[:20]))
    if age is None or age > max_age:
        return outcome(Verdict.ERROR, "host.patch.stale", ev, age="unknown" if age is None else age, limit=max_age)
    return outcome(Verdict.PASS, "host.patch.pass", ev, age=age)


# ----------------------------------------------------------------------------- HOST-FW-01


@_on_host
def firewall(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    nft, ipt = facts.command("nft"), facts.command("iptables")
    running = processes(facts.command("procs").stdout)
    ev: Ev = []
    if nft.status == OK:
        chains = [ln.strip() for ln in nft.stdout.splitlines() if "hook input" in ln]
        filtering = any("policy drop" in c for c in chains) or (chains and any(
            w in nft.stdout for w in (" drop", " reject")))
        ev.append(("host.ev.nft", chains or "no input chain"))
        if filtering:
            return outcome(Verdict.PASS, "host.fw.pass", ev, source="nft list ruleset")
    if ipt.status == OK:
        lines = [ln for ln in ipt.stdout.splitlines() if ln.startswith(("-P INPUT", "-A INPUT"))]
        ev.append(("host.ev.iptables", lines[:10] or "no INPUT rule"))
        if any(ln in ("-P INPUT DROP", "-P INPUT REJECT") for ln in lines) or any(
                ln.startswith("-A INPUT") and (" DROP" in ln or " REJECT" in ln) for ln in lines):
            return outcome(Verdict.PASS, "host.fw.pass", ev, source="iptables -S")
    if "firewalld" in running:
        ev.append(("host.ev.daemons", "firewalld running"))
        return outcome(Verdict.PASS, "host.fw.pass", ev, source="firewalld")
    if nft.status == DENIED and ipt.status == DENIED:
        return _needs_root("nft list ruleset, iptables -S")
    if nft.status not in (OK, MISSING) and ipt.status not in (OK, MISSING):
        return _command_problem(nft) or outcome(Verdict.ERROR, "host.error.command", command="nft",
                                                reason=(nft.stderr or nft.status)[:300])
    return outcome(Verdict.FAIL, "host.fw.fail", ev)


# ----------------------------------------------------------------------------- HOST-AV-01


DEFAULT_AV = ["clamd", "freshclam", "wazuh-agentd", "ossec-agentd", "falcon-sensor", "wdavdaemon", "mdatp",
              "sentinelone", "s1-agent", "ds_agent", "savd", "kav", "bdsec", "esets"]


@_on_host
def malware(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    procs_run = facts.command("procs")
    problem = _command_problem(procs_run)
    if problem:
        return problem
    wanted = list(param(params, "processes", DEFAULT_AV))
    found = sorted(processes(procs_run.stdout) & set(wanted))
    ev: Ev = [("host.ev.daemons", found), ("host.ev.expected", wanted)]
    if found:
        return outcome(Verdict.PASS, "host.av.pass", ev, found=", ".join(found))
    return outcome(Verdict.FAIL, "host.av.fail", ev)


# ----------------------------------------------------------------------------- HOST-CRYPT-01


@_on_host
def luks(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    run = facts.command("lsblk")
    problem = _command_problem(run)
    if problem:
        return problem
    if run.status != OK:
        return outcome(Verdict.ERROR, "host.error.command", command="lsblk", reason=(run.stderr or run.status)[:300])
    skip = set(param(params, "skip_mounts", ["/boot", "/boot/efi", "[SWAP]"]))
    devices = [_pairs(ln) for ln in run.stdout.splitlines() if ln.strip()]
    by_name = {d.get("NAME", ""): d for d in devices}
    plain, sealed = [], []
    for d in devices:
        mount = d.get("MOUNTPOINT", "")
        if not mount or mount in skip or mount.startswith("/snap/"):
            continue
        (sealed if _encrypted(d, by_name) else plain).append(f"{mount} ({d.get('NAME')})")
    ev: Ev = [("host.ev.source", "lsblk"), ("host.ev.unencrypted", plain), ("host.ev.encrypted", sealed)]
    if plain:
        return outcome(Verdict.FAIL, "host.crypt.fail", ev, mounts=", ".join(plain))
    if not sealed:                 # nothing mounted from a block device lsblk sees (a container): nothing was judged
        return outcome(Verdict.ERROR, "host.crypt.none", ev)
    return outcome(Verdict.PASS, "host.crypt.pass", ev)


def _pairs(line: str) -> dict[str, str]:
    try:
        return dict(p.split("=", 1) for p in shlex.split(line) if "=" in p)
    except ValueError:
        return {}


def _encrypted(d: Mapping[str, str], by_name: Mapping[str, Mapping[str, str]]) -> bool:
    seen = 0
    while d and seen < 16:
        if d.get("TYPE") == "crypt" or d.get("FSTYPE") == "crypto_LUKS":
            return True
        d = by_name.get(d.get("PKNAME", ""), {})
        seen += 1
    return False


# ----------------------------------------------------------------------------- HOST-SVC-01


@_on_host
def listeners(params: Mapping[str, Any], ctx: CheckContext, facts: HostFacts, _family: str) -> Outcome:
    run = facts.command("listen")
    if run.status != OK:
        return _command_problem(run) or outcome(Verdict.ERROR, "host.error.command", command="/proc/net",
                                                reason=(run.stderr or run.status)[:300])
    address = ctx.target.rsplit(":", 1)[0].strip("[]")
    ssh_port = int(ctx.target.rsplit(":", 1)[1]) if ":" in ctx.target else 22
    declared = ({e.port for e in ctx.system.endpoints if e.host == address} | set(ctx.system.allowed_ports)
                | {ssh_port} | set(int(p) for p in param(params, "allow", [])))
    clients = set(int(p) for p in param(params, "udp_clients", [68, 546]))    # DHCP clients' sockets, no service
    exposed, undeclared = [], []
    for lis in proc_net_listeners(run.stdout):
        if lis.proto == "udp" and lis.port in clients:
            continue
        try:
            if ipaddress.ip_address(lis.address).is_loopback:
                continue
        except ValueError:
            continue
        text = f"{lis.proto} {lis.address}:{lis.port}"
        exposed.append(text)
        if lis.port not in declared:
            undeclared.append(text)
    ev: Ev = [("host.ev.source", "/proc/net/tcp, tcp6, udp, udp6"), ("host.ev.listening", exposed),
              ("host.ev.declared", sorted(declared))]
    if undeclared:
        return outcome(Verdict.FAIL, "host.svc.fail", ev, services=", ".join(undeclared[:30]))
    return outcome(Verdict.PASS, "host.svc.pass", ev, count=len(exposed))


# ----------------------------------------------------------------------------- registry


def _spec(name: str, func: Any, schema: Mapping[str, Any] | None = None) -> CheckSpec:
    return CheckSpec(name, func, NEEDS, schema or {"type": "object"}, scope="host", no_target="host.no_hosts")


_INT = {"type": "integer", "minimum": 0}
CHECKS: tuple[CheckSpec, ...] = (
    _spec("host.os_supported", os_supported),
    _spec("host.password_policy", password_policy, {"type": "object", "properties": {
        "min_length": _INT, "min_classes": _INT, "max_age_days": _INT}}),
    _spec("host.lockout", lockout, {"type": "object", "properties": {"max_attempts": _INT}}),
    _spec("host.idle_timeout", idle_timeout, {"type": "object", "properties": {"max_minutes": _INT}}),
    _spec("host.default_accounts", default_accounts, {"type": "object", "properties": {"names": STRING_LIST}}),
    _spec("host.inactive_accounts", inactive_accounts, {"type": "object", "properties": {"inactive_days": _INT}}),
    _spec("host.sshd", sshd_settings, {"type": "object", "properties": {"root_login": STRING_LIST}}),
    _spec("host.time_sync", time_sync),
    _spec("host.logging", logging, {"type": "object", "properties": {"require_forwarding": {"type": "boolean"}}}),
    _spec("host.log_retention", log_retention, {"type": "object", "properties": {"months": _INT}}),
    _spec("host.auditd", auditd),
    _spec("host.patches", patches, {"type": "object", "properties": {"max_state_age_days": _INT}}),
    _spec("host.firewall", firewall),
    _spec("host.malware", malware, {"type": "object", "properties": {"processes": STRING_LIST}}),
    _spec("host.luks", luks, {"type": "object", "properties": {"skip_mounts": STRING_LIST}}),
    _spec("host.listeners", listeners, {"type": "object", "properties": {"allow": {"type": "array", "items": _INT},
                                                                         "udp_clients": {"type": "array", "items": _INT}}}),
)
