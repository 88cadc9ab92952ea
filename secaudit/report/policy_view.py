"""``secaudit policy show``: a resolved policy, every control with its check, parameters and the clauses it
evidences, as text for a person or JSON for tools. :data:`POLICY_FORMATS` is the command's ``--format``
registry."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Sequence

from secaudit.i18n import t
from secaudit.serialize import to_jsonable

Citations = Mapping[str, Sequence[str]]        # control id -> the clauses and references it cites


def render_policy(resolved: Any, cites: Citations, fmt: str, lang: str) -> str:
    return POLICY_FORMATS[fmt](resolved, cites, lang)


def _json(r: Any, cites: Citations, lang: str) -> str:
    controls = [{**to_jsonable(c), "citations": list(cites[c.id])} for c in r.controls]
    return json.dumps({"id": r.id, "chain": list(r.chain), "controls": controls}, ensure_ascii=False, indent=2) + "\n"


def _text(r: Any, cites: Citations, lang: str) -> str:
    lines = [f"{r.id}: {r.title.get(lang)}", t("policy.show.chain", lang, chain=" → ".join(r.chain))]
    for c in r.controls:
        origin = (r.overrides or {}).get(c.id, "")
        lines += ["", f"  {c.id}  [{c.severity.value}]  {c.title.get(lang)}  ({origin})",
                  f"    check: {c.check} {json.dumps(dict(c.params), ensure_ascii=False) if c.params else ''}"]
        if c.applies_to:
            lines.append(f"    applies_to: {', '.join(s.value for s in c.applies_to)}")
        if c.requirements:
            lines.append(f"    requirements: {', '.join(c.requirements)}")
        lines += [f"    - {ref}" for ref in cites[c.id]]
    return "\n".join(lines) + "\n"


# `secaudit policy show --format`: (resolved policy, citations, lang) -> text
POLICY_FORMATS: Mapping[str, Callable[[Any, Citations, str], str]] = {"text": _text, "json": _json}
