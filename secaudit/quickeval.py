"""Judge one endpoint's observations against one profile: the engine of ``secaudit tls``.

A thin adapter over the shared stages, so the quick form and ``secaudit scan`` can never
disagree: profiles are loaded and resolved by :mod:`secaudit.policy` (schema-checked, every
error at file:line:col, ``extends`` merged), applicability comes from
:func:`secaudit.plan.applies` and verdicts from :func:`secaudit.evaluate.judge`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from secaudit.errors import Diagnostic, InputError
from secaudit.model import Control, Endpoint, Message, Observation, Outcome, Policy, Verdict
from secaudit.policy import POLICY_SUBDIRS, PolicyLibrary
from secaudit.resources import policies_dir


def profile_path(ref: str) -> Path:
    """A profile given by name (``mozilla-intermediate``) or by file path."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    return policies_dir() / "profiles" / f"{ref}.yaml"


def load_profile(ref: str) -> Policy:
    """The profile (or any policy) ``ref``, with ``extends`` resolved."""
    path = profile_path(ref)
    if not path.is_file():
        raise InputError([Diagnostic(str(path), 0, 0, "tls.cli.profile_missing", {"profile": ref})])
    dirs = [policies_dir() / sub for sub in POLICY_SUBDIRS]
    shipped = any(path.resolve().parent == d.resolve() for d in dirs)
    library = PolicyLibrary.load(dirs, extra_files=[] if shipped else _with_local_parents(path, dirs))
    target = str(path) if not shipped else None
    policy_id = next(pid for pid, p in library.policies.items()
                     if (target and p.source.file == target) or (not target and Path(p.source.file).resolve()
                                                                 == path.resolve()))
    resolved = library.resolve(policy_id)
    top = library.policies[policy_id]
    return Policy(id=resolved.id, title=resolved.title, controls=resolved.controls, extends=top.extends,
                  level=top.level, source=top.source)


def _with_local_parents(path: Path, shipped_dirs: list[Path]) -> list[str]:
    """A user's profile file plus the files beside it that it extends by id (``extends: [base]`` -> base.yaml)."""
    from secaudit.yamlread import read_yaml_file

    shipped = {p.stem for d in shipped_dirs if d.is_dir() for p in d.glob("*.yaml")}
    files: list[str] = []
    todo = [path]
    while todo and len(files) < 64:
        f = todo.pop()
        files.append(str(f))
        doc, _ = read_yaml_file(str(f))
        parents = doc.value.get("extends") if doc is not None and isinstance(doc.value, dict) else None
        for pid in parents if isinstance(parents, list) else []:
            sibling = f.parent / f"{pid}.yaml"
            if isinstance(pid, str) and pid not in shipped and sibling.is_file() and str(sibling) not in files:
                todo.append(sibling)
    return files


def needs_of(policy: Policy) -> set[str]:
    from secaudit.checks import REGISTRY

    return set().union(*(REGISTRY[c.check].needs for c in policy.controls)) if policy.controls else set()


@dataclass(frozen=True)
class ControlResult:
    control: Control
    outcome: Outcome


def evaluate(policy: Policy, endpoint: Endpoint, observations: Mapping[str, Observation],
             now: dt.datetime | None = None) -> list[ControlResult]:
    """Judge every control of ``policy`` on one endpoint, exactly as ``secaudit scan`` would."""
    from secaudit.checks import REGISTRY, CheckContext
    from secaudit.evaluate import judge
    from secaudit.model import Purpose, System
    from secaudit.plan import applies

    now = now or dt.datetime.now(dt.timezone.utc)
    system = System(id="quick", name="quick", purpose=Purpose.OTHER, endpoints=(endpoint,))
    ctx = CheckContext(system=system, target=endpoint.address, endpoint=endpoint, observations=observations, now=now)
    results = []
    for control in policy.controls:
        spec = REGISTRY[control.check]
        if not applies(control, spec, endpoint):
            out = Outcome(Verdict.NOT_APPLICABLE, Message("tls.cli.not_applicable",
                                                          {"service": endpoint.service.value}))
        else:
            out = judge(control, spec, ctx)
        results.append(ControlResult(control, out))
    return results
