"""The probe families' own options on the command line, built from the registry when a command runs.

A family declares its options (:class:`~secaudit.probes.interface.FamilyOption`: name, type, default,
help in both languages); :class:`FamilyOptionsCommand` offers them on ``scan`` (and on a preset, for
the families it runs) and hands the command one ``family_options`` argument, kind -> {name: value},
with only the values the user set (command line, configuration file or ``SECAUDIT_*``). The options
are built when click first asks for the command's parameters — after the installed plug-ins are
loaded, so a plug-in family's options are there — and never for ``secaudit --help``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import click
from click.core import ParameterSource

from secaudit.cli.settings import env_names
from secaudit.i18n import current_lang
from secaudit.plugins import PluginError


class FamilyOptionParam(click.Option):
    """A click option made from a family's :class:`FamilyOption`; its help is shown in the current language."""

    def __init__(self, kind: str, option: Any, envvar: Sequence[str] | None = None) -> None:
        self.kind = kind
        self.family_option = option
        kwargs: dict[str, Any] = {"default": option.default, "metavar": option.metavar, "envvar": envvar,
                                  "show_default": option.default not in (None, (), False)}
        if option.type == "bool":
            kwargs.update(is_flag=True, default=bool(option.default))
        elif option.type == "multi":
            kwargs.update(multiple=True, default=tuple(option.default or ()))
        else:
            kwargs["type"] = _click_type(option)
        super().__init__([option.flag, option.name], help=option.help.get("en"), **kwargs)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = self.family_option.help.get(current_lang())
        return super().get_help_record(ctx)


def _click_type(option: Any) -> click.ParamType:
    if option.type == "choice":
        return click.Choice(list(option.choices))
    if option.type == "int":
        return (click.IntRange(_bound(option.minimum), _bound(option.maximum))
                if option.minimum is not None or option.maximum is not None else click.INT)
    if option.type == "float":
        return (click.FloatRange(option.minimum, option.maximum)
                if option.minimum is not None or option.maximum is not None else click.FLOAT)
    return click.STRING


def _bound(value: float | None) -> int | None:
    return None if value is None else int(value)


class FamilyOptionsCommand(click.Command):
    """A command that offers the registered families' options (``kinds``: only these families; ``handled``:
    option names the command offers under names of its own, as ``ports --timeout`` is ``ports_timeout``).
    Its callback receives ``family_options``: kind -> {option name: value set by the user}."""

    def __init__(self, *args: Any, kinds: Callable[[], Iterable[str]] | None = None,
                 handled: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kinds = kinds
        self._handled = frozenset(handled)
        self._built: tuple[tuple[Any, ...], list[FamilyOptionParam]] | None = None
        self.env_path: tuple[str, ...] = (self.name or "",)     # set again by settings.install_envvars

    def family_params(self) -> list[FamilyOptionParam]:
        """The click options of the families' options as registered now (built again when that changes)."""
        # start-up: every probe module, ~0.2 s, only when this command runs or shows its help
        from secaudit.probes.registry import family_options

        wanted = set(self._kinds()) if self._kinds is not None else None
        declared = tuple((k, o) for k, o in family_options()
                         if (wanted is None or k in wanted) and o.name not in self._handled)
        if self._built is None or self._built[0] != declared:
            own = {p.name for p in self.params} | {o for p in self.params for o in getattr(p, "opts", ())}
            params = []
            for kind, option in declared:
                if option.name in own or option.flag in own:
                    raise PluginError(kind, f"option {option.flag} of the {kind} family is already an option of "
                                            f"`secaudit {self.name}`")
                params.append(FamilyOptionParam(kind, option, env_names(self.env_path, option.flag[2:])))
            self._built = (declared, params)
        return list(self._built[1])

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params: list[click.Parameter] = [*self.params, *self.family_params()]
        help_option = self.get_help_option(ctx)
        return params + [help_option] if help_option is not None else params

    def invoke(self, ctx: click.Context) -> Any:
        chosen: dict[str, dict[str, Any]] = {}
        for param in self.family_params():
            value = ctx.params.pop(param.name, None) if param.name else None
            source = ctx.get_parameter_source(param.name) if param.name else None
            if source not in (None, ParameterSource.DEFAULT):
                chosen.setdefault(param.kind, {})[param.family_option.name] = value
        ctx.params["family_options"] = chosen
        return super().invoke(ctx)


def family_options_command(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], FamilyOptionsCommand]:
    """``@family_options_command("scan")`` in place of ``@click.command("scan")``."""
    return click.command(name, cls=FamilyOptionsCommand, **kwargs)  # type: ignore[return-value]
