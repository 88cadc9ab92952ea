"""Plug-ins from other packages: probe families, their checks, importers, policy directories and messages.

An installed package makes itself known through the ``secaudit.plugins`` entry-point group; the
entry point names a :class:`Plugin`::

    # the plug-in's setup.cfg
    [options.entry_points]
    secaudit.plugins =
        banner = secaudit_banner:PLUGIN

    # secaudit_banner/__init__.py
    PLUGIN = Plugin(name="banner", families=(BannerFamily(),), checks=(NO_VERSION,),
                    policy_dirs=(str(Path(__file__).parent / "policies"),),
                    messages={"banner.version_shown": {"en": "...", "vi": "..."}})

Every ``secaudit`` process (a scan, a report, a zone worker) loads the installed plug-ins once,
before its command runs, through the same registries the built-in families use
(:mod:`secaudit.probes.registry`, :data:`secaudit.checks.REGISTRY`), so the plan, evaluation,
serialisation, ``--only`` and the reports know them. A plug-in never replaces what exists: a kind,
a need prefix, a check name or a message key already taken is an error, as is a plug-in that does
not load. Either ends the command with exit status 2 and the plug-in's name, before anything is
scanned. ``SECAUDIT_NO_PLUGINS=1`` starts secaudit without them (to tell a plug-in's fault from ours).

A plug-in runs with the scanner's rights, like any installed package: install only those you trust.
The plan hands its runner only the inventory's targets (validated by ``targets.py``) and the scope.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from secaudit.errors import SecauditError
from secaudit.i18n import add_messages

GROUP = "secaudit.plugins"


@dataclass(frozen=True)
class Plugin:
    """What a plug-in adds. ``messages``: catalog entries ``{key: {"en": ..., "vi": ...}}``."""

    name: str
    families: Sequence[Any] = ()                       # secaudit.probes.interface.ProbeFamily
    checks: Sequence[Any] = ()                         # secaudit.checks.CheckSpec
    policy_dirs: Sequence[str] = ()                    # directories of policy and profile YAML
    messages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    importers: Sequence[Any] = ()                      # secaudit.importers.interface.Importer (secaudit import)


@dataclass(frozen=True)
class Loaded:
    name: str
    distribution: str                                  # "secaudit-banner 0.1", or "" when unknown


class PluginError(SecauditError):
    """A plug-in that does not load or clashes with what exists (exit 2, catalog ``plugins.failed``)."""

    def __init__(self, name: str, error: str) -> None:
        super().__init__(f"plug-in {name}: {error}")
        self.key = "plugins.failed"
        self.args_ = {"name": name, "error": error}


_loaded: list[Loaded] = []
_policy_dirs: list[Path] = []
_done = False


def load_installed() -> list[Loaded]:
    """Load every installed plug-in, once per process; raises :class:`PluginError` on the first bad one."""
    global _done
    if _done or os.environ.get("SECAUDIT_NO_PLUGINS"):
        return list(_loaded)
    _done = True
    # start-up: importlib.metadata loaded only when needed
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            plugin = ep.load()
        except Exception as e:                          # an import error is the plug-in's, named as such
            raise PluginError(ep.name, f"{type(e).__name__}: {e}") from None
        dist = getattr(ep, "dist", None)
        install(plugin, f"{dist.name} {dist.version}" if dist is not None else "")
    return list(_loaded)


def install(plugin: Any, distribution: str = "") -> None:
    """Add one plug-in's families, checks, policy directories and messages (all or nothing)."""
    if not isinstance(plugin, Plugin):
        raise PluginError(str(getattr(plugin, "name", plugin)), "the entry point must name a secaudit.plugins.Plugin")
    # start-up: defusedxml, secaudit.checks, secaudit.probes.registry loaded only when needed
    from secaudit import checks
    from secaudit.importers import registry as importers
    from secaudit.probes import registry

    missing = [d for d in plugin.policy_dirs if not Path(d).is_dir()]
    if missing:
        raise PluginError(plugin.name, f"policy directories that do not exist: {missing}")
    kinds: list[str] = []
    names: list[str] = []
    tools: list[str] = []
    try:
        for family in plugin.families:
            registry.register(family)
            kinds.append(family.kind)
        for importer in plugin.importers:
            importers.register(importer)
            tools.append(importer.name)
        checks.register(*plugin.checks)
        names = [c.name for c in plugin.checks]
        add_messages(plugin.messages, origin=f"plug-in {plugin.name}")
    except ValueError as e:
        checks.unregister(*names)
        for tool in tools:
            importers.unregister(tool)
        for kind in kinds:
            registry.unregister(kind)
        raise PluginError(plugin.name, str(e)) from None
    _policy_dirs.extend(Path(d) for d in plugin.policy_dirs)
    _loaded.append(Loaded(plugin.name, distribution))


def policy_dirs() -> list[Path]:
    """The policy directories the loaded plug-ins bring (read by :func:`secaudit.policy.policy_dirs`)."""
    return list(_policy_dirs)


def loaded() -> list[Loaded]:
    return list(_loaded)
