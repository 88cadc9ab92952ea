"""Other tools' reports as evidence: Greenbone/OpenVAS, Nessus, Nuclei, OpenSCAP and Lynis (design §4).

A file -> an :class:`~secaudit.importers.model.ImportedReport` (normalised findings) -> matched to the
inventory's systems (:mod:`secaudit.importers.match`) -> stored as a run of its own kind
(:mod:`secaudit.store.imports`) -> evidence for the catalogue's rows (:mod:`secaudit.importers.evidence`).
The list of importers is :mod:`secaudit.importers.registry`.
"""
