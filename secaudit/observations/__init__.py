"""Normalised facts seen by probes, one module per probe family (``tls``, ``ports``, ``http``).

Pure frozen dataclasses with ``to_dict()`` / ``from_dict()``: no sslyze or python-nmap
object ever leaves the adapters in ``secaudit.probes``.
"""
