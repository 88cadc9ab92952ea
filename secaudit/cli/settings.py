"""Where option values come from besides the command line: ``secaudit.yaml`` / ``--config FILE`` and
``SECAUDIT_*`` environment variables (precedence in :mod:`secaudit.config`); and ``--version``."""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any, Callable, Iterator

import click
from click.core import ParameterSource

from secaudit import __version__
from secaudit.config import DEFAULT_FILE, OptionTable, Sources, load_config
from secaudit.errors import ToolMissingError
from secaudit.i18n import t
from secaudit.plugins import loaded

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


_SOURCES = "secaudit.config_sources"      # ctx.meta key (meta is shared by a context and its children)


def _load(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    path = value or os.environ.get("SECAUDIT_CONFIG")
    if not path and os.path.isfile(DEFAULT_FILE):
        path = DEFAULT_FILE
    if path:
        sources: Sources = {}
        ctx.default_map = load_config(path, option_table(ctx.command), sources)
        ctx.meta[_SOURCES] = sources


def _command_path(ctx: click.Context) -> tuple[str, ...]:
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(names))


def value_source(error: click.BadParameter) -> tuple[str, str] | None:
    """Where a refused option value came from when it was not the command line: ("file", "FILE:LINE:COL")
    for the configuration file, ("env", NAME) for an environment variable; None for the command line."""
    ctx, param = error.ctx, error.param
    if ctx is None or param is None or param.name is None:
        return None
    source = ctx.get_parameter_source(param.name)
    if source is ParameterSource.DEFAULT_MAP:
        where = ctx.meta.get(_SOURCES, {}).get(_command_path(ctx) + (param.name,))
        return ("file", where) if where else None
    if source is ParameterSource.ENVIRONMENT:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        name = next((n for n in names if os.environ.get(n)), None)
        return ("env", name) if name else None
    return None


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
    out: dict[str, str] = {}
    for dist in ("sslyze", "cryptography"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
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
    tools = ", ".join(f"{k} {v}" for k, v in tool_versions().items())
    click.echo(f"secaudit {__version__} ({tools})")
    for p in loaded():
        click.echo(t("plugins.version_line", name=p.name, distribution=p.distribution or "-"))
    ctx.exit()


def version_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True,
                        callback=_print_version, help="Show the version of secaudit, sslyze and nmap, and exit.")(f)
