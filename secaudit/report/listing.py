"""Every finding, one after the other, with its evidence and how to fix it: the terminal output of the
quick commands (``secaudit tls``, ``secaudit ports``), built from the same :class:`Results` as every
other format. Strings from servers and inputs pass through :func:`strip_controls`, so no banner or
certificate field can move the cursor, recolour the terminal or reverse the text.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from secaudit.i18n import t
from secaudit.model import Finding, Observation, ObservationStatus, Results, Verdict
from secaudit.report.escape import strip_controls
from secaudit.report.interface import ReportFormat
from secaudit.report.view import control_index, label_text, local


def _safe(value: object) -> str:
    return strip_controls(value, one_line=True)


class ListingFormat(ReportFormat):
    name = "listing"
    extension = "listing.txt"

    def render(self, results: Results, lang: str) -> str:
        return "".join(self.render_chunks(results, lang))

    def render_chunks(self, results: Results, lang: str) -> Iterator[str]:
        controls = control_index(results)
        policy = " + ".join(results.run.profiles) or (f"level {results.run.level}" if results.run.level else "")
        for system in results.inventory.systems:
            yield t("listing.header", lang, target=_safe(system.name), policy=_safe(policy)) + "\n"
        for obs in results.observations:
            yield from _observation_lines(obs, lang)
        for f in results.findings:
            yield from _finding_lines(f, controls.get(f.control_id), lang)
        if not results.run.complete:
            yield t("listing.incomplete", lang) + "\n"
        counts = Counter(f.verdict.value for f in results.findings)
        summary = ", ".join(f"{t('listing.verdict.' + k, lang)}: {n}" for k, n in sorted(counts.items()))
        yield t("listing.summary", lang, summary=summary) + "\n"


def _observation_lines(obs: Observation, lang: str) -> Iterator[str]:
    if obs.status is ObservationStatus.ERROR:
        yield t("listing.scan_error", lang, target=_safe(obs.target), reason=_safe(obs.error or "")) + "\n"
        return
    open_ports = getattr(obs.facts, "open_ports", None)      # a port scan: what is open, as nmap saw it
    if open_ports is None:
        return
    yield f"{_safe(obs.target)}\n"
    for p in open_ports:
        yield f"  {p.port}/{p.protocol}  {t('listing.open', lang)}  {_safe(p.service.describe() if p.service else '')}\n"
    if not open_ports:
        yield f"  {t('listing.no_open_port', lang, count=len(obs.facts.ports))}\n"


def _finding_lines(f: Finding, control: Any, lang: str) -> Iterator[str]:
    title = local(control.title, lang) if control is not None else ""
    yield (f"[{t('listing.verdict.' + f.verdict.value, lang)}] {f.control_id} ({f.severity.value}) "
           f"{_safe(title)} — {_safe(f.target)}: {_safe(f.message.render(lang))}\n")
    if f.verdict in (Verdict.FAIL, Verdict.ERROR):
        for e in f.evidence:
            yield f"      {_safe(label_text(e.label, lang))}: {_safe(e.value)}\n"
    if f.verdict is Verdict.FAIL and control is not None and local(control.remediation, lang):
        yield f"      {t('listing.remediation', lang)}: {_safe(local(control.remediation, lang))}\n"
    for w in f.warnings:
        yield f"      ! {_safe(w.render(lang))}\n"
