"""Run history: every run stored (SQLite by default, PostgreSQL with ``--db URL``), diff, due, trends.

Stable API for other parts of secaudit (reports, documents):

- :func:`open_store` ``(url=None, data_dir=None) -> Store``: open or create a store.
- :class:`Store`: ``runs(system=, since=, until=, scope=, limit=)``, ``run(id)``, ``previous_run(run)``,
  ``systems(run_id)``, ``system_history(system_id, limit=)``, ``latest_per_system(until=)``,
  ``findings(run_id, system=)``, ``open_ports(run_id)``, ``certificates(run_id)``, ``results(run_id)``,
  ``save(results)``.
- Records (:mod:`secaudit.store.records`): :class:`RunRecord`, :class:`SystemRecord` (required and
  achieved level, ``status``, ``compliant``, ``compliance``), :class:`FindingRecord`,
  :class:`CertificateRecord`, :class:`PortRecord`.
- :mod:`secaudit.store.cadence`: the periodic-assessment cadence per regime and level, pure.

SQLAlchemy is imported only when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from secaudit.store.records import CertificateRecord, FindingRecord, PortRecord, RunRecord, SystemRecord

if TYPE_CHECKING:
    from secaudit.store.api import Store


def open_store(url: str | None = None, data_dir: str | None = None) -> "Store":
    # start-up: sqlalchemy loaded only when needed
    from secaudit.store.api import open_store as _open

    return _open(url, data_dir)


def __getattr__(name: str) -> Any:
    if name == "Store":
        # start-up: sqlalchemy loaded only when needed
        from secaudit.store.api import Store

        return Store
    raise AttributeError(name)


__all__ = ["CertificateRecord", "FindingRecord", "PortRecord", "RunRecord", "Store", "SystemRecord", "open_store"]
