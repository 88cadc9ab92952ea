"""Load a TLS profile and judge one endpoint's observation against it: the engine of ``secaudit tls``.

Deliberately small and separate: the lead's ``load.py`` (schema-checked policies with
file:line:col) and the evaluate stage will replace ``load_profile`` and ``evaluate``; until
then profiles are read with ``yaml.safe_load`` and checked here just enough to fail clearly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from secaudit.errors import Diagnostic, InputError
from secaudit.model import Control, Endpoint, LocalText, Message, Observation, Outcome, Policy, Service, Severity, Verdict

_MAX_EXTENDS_DEPTH = 8


def profile_path(ref: str) -> Path:
    """A profile given by name (``mozilla-intermediate``) or by file path."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    from secaudit.resources import policies_dir

    return policies_dir() / "profiles" / f"{ref}.yaml"


def _bad(path: Path, key: str, **args: Any) -> InputError:
    return InputError([Diagnostic(str(path), 0, 0, key, args)])


def _text(value: Any) -> LocalText:
    if isinstance(value, Mapping):
        return LocalText(en=str(value.get("en", "")), vi=str(value.get("vi", "")))
    return LocalText(en=str(value or ""), vi=str(value or ""))


def load_profile(ref: str, _depth: int = 0) -> Policy:
    from secaudit.checks import REGISTRY

    path = profile_path(ref)
    if not path.is_file():
        raise _bad(path, "tls.cli.profile_missing", profile=ref)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise _bad(path, "tls.cli.profile_invalid", reason=str(e).splitlines()[0]) from None
    if not isinstance(data, dict) or not isinstance(data.get("controls", []), list) or not data.get("id"):
        raise _bad(path, "tls.cli.profile_invalid", reason="expected a mapping with id and controls")
    controls: list[Control] = []
    for parent in data.get("extends") or []:
        if _depth >= _MAX_EXTENDS_DEPTH:
            raise _bad(path, "tls.cli.profile_invalid", reason="extends nests too deeply")
        controls.extend(load_profile(str(parent), _depth + 1).controls)
    for i, c in enumerate(data.get("controls") or []):
        if not isinstance(c, dict) or "id" not in c or "check" not in c:
            raise _bad(path, "tls.cli.profile_invalid", reason=f"control #{i + 1} needs an id and a check")
        if c["check"] not in REGISTRY:
            raise _bad(path, "tls.cli.unknown_check", control=c["id"], check=c["check"])
        try:
            severity = Severity(c.get("severity", "medium"))
            applies = tuple(Service(s) for s in c.get("applies_to") or ())
        except ValueError as e:
            raise _bad(path, "tls.cli.profile_invalid", reason=f"control {c['id']}: {e}") from None
        controls = [x for x in controls if x.id != c["id"]]  # a child overrides its parent's control
        controls.append(Control(id=str(c["id"]), title=_text(c.get("title")), check=c["check"], severity=severity,
                                params=dict(c.get("params") or {}), references=tuple(c.get("references") or ()),
                                applies_to=applies, remediation=_text(c.get("remediation"))))
    return Policy(id=str(data["id"]), title=_text(data.get("title")), controls=tuple(controls),
                  extends=tuple(data.get("extends") or ()))


def needs_of(policy: Policy) -> set[str]:
    from secaudit.checks import REGISTRY

    return set().union(*(REGISTRY[c.check].needs for c in policy.controls)) if policy.controls else set()


@dataclass(frozen=True)
class ControlResult:
    control: Control
    outcome: Outcome


def evaluate(policy: Policy, endpoint: Endpoint, observations: Mapping[str, Observation],
             now: dt.datetime | None = None) -> list[ControlResult]:
    """Judge every control of ``policy`` on one endpoint. Pure apart from reading the registry."""
    import jsonschema

    from secaudit.checks import REGISTRY, CheckContext
    from secaudit.model import System, Purpose

    now = now or dt.datetime.now(dt.timezone.utc)
    system = System(id="quick", name="quick", purpose=Purpose.OTHER, endpoints=(endpoint,))
    ctx = CheckContext(system=system, target=endpoint.address, endpoint=endpoint, observations=observations, now=now)
    results = []
    for control in policy.controls:
        spec = REGISTRY[control.check]
        if control.applies_to and endpoint.service not in control.applies_to:
            out = Outcome(Verdict.NOT_APPLICABLE, Message("tls.cli.not_applicable",
                                                          {"service": endpoint.service.value}))
        else:
            try:
                jsonschema.validate(dict(control.params), spec.params_schema)
            except jsonschema.ValidationError as e:
                out = Outcome(Verdict.ERROR, Message("tls.error.bad_param", {"name": control.id, "value": e.message}))
            else:
                out = spec.func(control.params, ctx)
        results.append(ControlResult(control, out))
    return results
