"""Normalised facts seen by probes, one module per probe family (``tls``, ``ports``, ``http``).

Pure frozen dataclasses whose ``to_dict()`` / ``from_dict()`` go through :mod:`secaudit.codec`:
no sslyze or python-nmap object ever leaves the adapters in ``secaudit.probes``.
"""
