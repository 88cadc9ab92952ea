"""Where option values come from besides the command line: ``secaudit.yaml`` / ``--config FILE`` and
``SECAUDIT_*`` environment variables (precedence in :mod:`secaudit.config`); and ``--version``."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import click

from secaudit.config import DEFAULT_FILE, OptionTable, load_config

_NOT_CONFIGURABLE = {"help", "version", "config"}


def _long_name(param: click.Parameter) -> str | None:
    names = [o[2:] for o in getattr(param, "opts", ()) if o.startswith("--")]
    return max(names, key=len) if names else None


def _options(command: click.Command) -> Iterator[tuple[str, click.Option]]:
    for param in command.params:
        if isinstance(param, click.Option):
            name = _long_name(param)
            if name and name not in _NOT_CONFIGURABLE:
                yield name, param


def _names_a_file(param: click.Option) -> bool:
    return isinstance(param.type, (click.Path, click.File)) or (param.metavar or "").upper() in {"FILE", "DIR", "PATH"}


def option_table(command: click.Command) -> OptionTable:
    """What a configuration file may set for ``command`` and, for a group, its subcommands."""
    options = dict(_options(command))
    children = ({name: option_table(sub) for name, sub in command.commands.items()}
                if isinstance(command, click.Group) else {})
    paths = frozenset(n for n, p in options.items() if _names_a_file(p))
    return OptionTable({n: p.name for n, p in options.items() if p.name}, children, paths)


def _env_name(*parts: str) -> str:
    return "_".join(["SECAUDIT", *parts]).upper().replace("-", "_")


def install_envvars(command: click.Command, path: tuple[str, ...] = ()) -> None:
    """Every option reads ``SECAUDIT_<COMMAND>_<OPTION>``, then ``SECAUDIT_<OPTION>``, unless it names its own."""
    for name, param in _options(command):
        if not param.envvar:
            param.envvar = [_env_name(*path, name), _env_name(name)] if path else [_env_name(name)]
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            install_envvars(sub, path + (sub_name,))


def _load(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    path = value or os.environ.get("SECAUDIT_CONFIG")
    if not path and os.path.isfile(DEFAULT_FILE):
        path = DEFAULT_FILE
    if path:
        ctx.default_map = load_config(path, option_table(ctx.command))


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--config FILE``: option defaults from a YAML file (default: ./secaudit.yaml when present)."""
    return click.option(
        "--config", type=click.Path(dir_okay=False), default=None, expose_value=False, is_eager=True,
        callback=_load, metavar="FILE",
        help=f"Defaults for any option from this YAML file (default: ./{DEFAULT_FILE} when present; "
             "env SECAUDIT_CONFIG).",
    )(f)


def tool_versions() -> dict[str, str]:
    """The versions of the tools doing the measuring: sslyze (imported) and nmap (on PATH)."""
    from importlib import metadata

    out: dict[str, str] = {}
    for dist in ("sslyze", "cryptography"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    from secaudit.errors import ToolMissingError
    from secaudit.probes.ports import find_nmap

    try:
        tool = find_nmap()
        out["nmap"] = ".".join(str(x) for x in tool.version)
    except ToolMissingError:       # a missing nmap is a fact to print here, not an error
        out["nmap"] = "not found"
    return out


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from secaudit import __version__
    from secaudit.i18n import t
    from secaudit.plugins import loaded

    tools = ", ".join(f"{k} {v}" for k, v in tool_versions().items())
    click.echo(f"secaudit {__version__} ({tools})")
    for p in loaded():
        click.echo(t("plugins.version_line", name=p.name, distribution=p.distribution or "-"))
    ctx.exit()


def version_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True,
                        callback=_print_version, help="Show the version of secaudit, sslyze and nmap, and exit.")(f)
