"""`secaudit policy list | show | explain | checks`"""

from __future__ import annotations

import difflib
import json

import click

from secaudit.cli.classify import regime_option
from secaudit.cli.common import RegistryChoice, lang_option, policy_formats
from secaudit.cli.output import echo
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import current_lang, t
from secaudit.status import ExitStatus


@click.group("policy")
@lang_option
def command() -> None:
    """Inspect the shipped policies: levels 1-5 and profiles (Mozilla TLS...).

    \b
    Examples:
      secaudit policy list
      secaudit policy show --level 3
      secaudit policy explain TLS-PROTO-01
    """


@command.command("list")
@lang_option
def list_() -> int:
    """List every policy with its level, what it extends and its number of controls."""
    from secaudit.policy import default_library

    lib = default_library()
    lang = current_lang()
    echo(t("policy.list.header", lang))
    for pid in lib.ids():
        p = lib.policies[pid]
        resolved = lib.resolve(pid)
        echo(f"  {pid:<24} {('L' + str(p.level)) if p.level else '  ':<3} {len(resolved.controls):>3}  "
             f"{p.title.get(lang)}" + (f"  (extends {', '.join(p.extends)})" if p.extends else ""))
    return ExitStatus.OK


def _citer(regime: str | None):  # -> Citer
    from secaudit.classify.regime import DEFAULT_REGIME, load_regime
    from secaudit.requirements.citation import citer_for

    reg = load_regime(regime or DEFAULT_REGIME)
    return citer_for(reg.id, reg.standard, reg.catalogue)


@command.command("show")
@click.option("--level", type=click.IntRange(1, 5), help="Show the resolved policy of this level.")
@click.option("--profile", "profile", help="Show a profile (e.g. mozilla-intermediate) or any policy id.")
@regime_option
@click.option("--format", "fmt", type=RegistryChoice(policy_formats), default="text", show_default=True)
@lang_option
def show(level: int | None, profile: str | None, regime: str | None, fmt: str) -> int:
    """Show a policy after `extends` is resolved: every control with its check, parameters and the clauses
    of the regime's standard it evidences at that level."""
    from secaudit.policy import default_library
    from secaudit.report.policy_view import render_policy

    if (level is None) == (profile is None):
        raise click.UsageError(t("policy.show.one_of"))
    lib = default_library()
    pid = lib.level_policy_id(level) if level else str(profile)
    r = lib.resolve(pid)
    lang = current_lang()
    citer = _citer(regime)
    cites = {c.id: citer.citations(c.requirements, r.level, lang) + c.references for c in r.controls}
    echo(render_policy(r, cites, fmt, lang), nl=False)
    return ExitStatus.OK


@command.command("explain")
@click.argument("control_id")
@regime_option
@lang_option
def explain(control_id: str, regime: str | None) -> int:
    """Explain a control: what it requires, why, how it is checked, how to fix it, where it applies."""
    from secaudit.checks import REGISTRY
    from secaudit.policy import default_library

    lib = default_library()
    lang = current_lang()
    # reports qualify a control tightened by a higher level as ID@policy: explain that version
    base, _, only_policy = control_id.upper().partition("@")
    found = [(pid, c) for pid in lib.ids() for c in lib.policies[pid].controls
             if c.id == base and (not only_policy or pid == only_policy.lower())]
    if not found:
        ids = sorted({c.id for p in lib.policies.values() for c in p.controls})
        hint = difflib.get_close_matches(control_id.upper(), ids, n=1)
        raise InputError([Diagnostic("secaudit policy explain", 0, 0, "policy.explain.unknown",
                                     {"id": control_id, "suggestion": hint[0] if hint else "-"})])
    pid, c = found[-1]
    echo(f"{c.id}: {c.title.get(lang)}")
    echo(t("policy.explain.severity", lang, severity=c.severity.value))
    echo(t("policy.explain.check", lang, check=c.check,
           available=t("policy.explain.registered", lang) if c.check in REGISTRY else t("policy.explain.missing", lang)))
    for pid_, c_ in found:
        echo(t("policy.explain.defined_in", lang, policy=pid_, file=c_.source.file, line=c_.source.line,
               params=json.dumps(dict(c_.params), ensure_ascii=False)))
    citer = _citer(regime)
    cited = []                                     # (level, citations) for each level whose policy has it
    for lvl in range(1, 6):
        try:
            resolved = lib.resolve(lib.level_policy_id(lvl))
        except InputError:
            continue
        at = [x for x in resolved.controls if x.id == c.id]
        if at:
            cited.append((lvl, citer.citations(at[0].requirements, lvl, lang)))
    if c.requirements or c.references:
        echo(t("policy.explain.references", lang))
        for key in c.requirements:
            row = next((citer.row(key, lvl) for lvl, _ in reversed(cited) if citer.row(key, lvl)), None)
            echo(f"  - {key}" + (f": {row.text.get(lang)}" if row else ""))
        for lvl, refs in cited:
            if refs:
                echo("    " + t("policy.explain.at_level", lang, level=lvl, refs="; ".join(refs)))
        for ref in c.references:
            echo(f"  - {ref}")
    if c.remediation.get(lang):
        echo(t("policy.explain.remediation", lang))
        echo("  " + c.remediation.get(lang))
    return ExitStatus.OK


@command.command("checks")
@lang_option
def checks() -> int:
    """List the registered checks that policies can use, with what each one measures."""
    from secaudit.checks import REGISTRY

    for name in sorted(REGISTRY):
        spec = REGISTRY[name]
        echo(f"{name:<28} needs: {', '.join(sorted(spec.needs))}")
    return ExitStatus.OK
