"""Defaults for any command-line option from a configuration file (``secaudit.yaml``).

The file maps option names to values. A key at the top level applies to every command that has an
option of that name (``fail-on: high`` for ``scan``, ``tls`` and ``ports`` alike); a key named after a
command holds defaults for that command only and wins over the top level::

    lang: vi
    fail-on: high
    ca-file: /etc/secaudit/org-ca.pem
    scan:
      ports-timeout: 90
      format: [html, sarif]

Precedence, highest first: the command line, ``SECAUDIT_<COMMAND>_<OPTION>``, ``SECAUDIT_<OPTION>``,
this file, the built-in default. Unknown keys are errors at their line and column, with a suggestion.
Pure: the CLI describes its options (:class:`OptionTable`, one per command, nested for groups) and applies the result as Click's
``default_map``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from secaudit.errors import Diagnostic, InputError
from secaudit.yamlread import YamlDoc, read_yaml_file

DEFAULT_FILE = "secaudit.yaml"


@dataclass(frozen=True)
class OptionTable:
    """The options a command accepts (dashed long name -> Click parameter name) and its subcommands' tables."""

    options: Mapping[str, str]
    children: Mapping[str, "OptionTable"] = field(default_factory=dict)
    paths: frozenset[str] = frozenset()            # options naming files: relative values are read from the file's folder

    def all_options(self) -> frozenset[str]:
        out = set(self.options)
        for child in self.children.values():
            out |= child.all_options()
        return frozenset(out)


def _suggest(word: str, choices: frozenset[str] | set[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _unknown(doc: YamlDoc, path: tuple[Any, ...], key: str, choices: frozenset[str] | set[str]) -> Diagnostic:
    hint = _suggest(key, choices)
    if hint:
        return doc.diag(path, "config.unknown_key_suggest", at_key=True, key=key, suggestion=hint)
    return doc.diag(path, "config.unknown_key", at_key=True, key=key)


# where each value of a default map was written: (*subcommands, parameter name) -> "file:line:col"
Sources = dict[tuple[str, ...], str]


def _split(doc: YamlDoc, path: tuple[Any, ...], values: Mapping[Any, Any], table: OptionTable,
           problems: list[Diagnostic]) -> tuple[dict[str, Any], dict[str, Mapping[Any, Any]]]:
    """Separate the keys of one level into option values (with the key's path) and sections of subcommands."""
    options: dict[str, Any] = {}
    sections: dict[str, Mapping[Any, Any]] = {}
    every = table.all_options()
    for key, value in values.items():
        name = str(key)
        if name in table.children and isinstance(value, Mapping):
            sections[name] = value
        elif name in table.children and name not in every:
            problems.append(doc.diag(path + (key,), "config.section_not_mapping", at_key=True, command=name))
        elif name in every:
            options[name] = (value, path + (key,))
        else:
            problems.append(_unknown(doc, path + (key,), name, every | set(table.children)))
    return options, sections


def _relative_to(base: Path | None, value: Any) -> Any:
    """A relative path in the file is relative to the file's folder, not to where secaudit runs."""
    if base is None:
        return value
    if isinstance(value, str) and value and value != "-" and not Path(value).is_absolute():
        return str(base / value)
    if isinstance(value, list):
        return [_relative_to(base, v) for v in value]
    return value


def _level_map(doc: YamlDoc, path: tuple[Any, ...], values: Mapping[Any, Any], table: OptionTable,
               inherited: Mapping[str, Any], problems: list[Diagnostic], base: Path | None,
               sources: Sources, command: tuple[str, ...] = ()) -> dict[str, Any]:
    """The default map of one command: inherited and own option values, then one map per subcommand."""
    own, sections = _split(doc, path, values, table, problems)
    current = {**inherited, **own}
    out: dict[str, Any] = {}
    for k, (v, at) in current.items():
        if k in table.options:
            out[table.options[k]] = _relative_to(base, v) if k in table.paths else v
            line, col = doc.where(at, key=True)
            sources[command + (table.options[k],)] = f"{doc.file}:{line}:{col}"
    for name, child in table.children.items():
        child_map = _level_map(doc, path + (name,), sections.get(name, {}), child, current, problems, base,
                               sources, command + (name,))
        if child_map:
            out[name] = child_map
    return out


def build_default_map(doc: YamlDoc, table: OptionTable, base: Path | None = None,
                      sources: Sources | None = None) -> dict[str, Any]:
    """Click's ``default_map`` for the group from a parsed configuration file; InputError on any unknown key.

    ``base`` is the folder relative file names are read from (the configuration file's); ``sources``, when
    given, receives where each value was written, so a value the option refuses is reported at its line."""
    if not isinstance(doc.value, Mapping):
        raise InputError([doc.diag((), "config.not_mapping")])
    problems: list[Diagnostic] = []
    default_map = _level_map(doc, (), doc.value, table, {}, problems, base, {} if sources is None else sources)
    if problems:
        raise InputError(problems)
    return default_map


def load_config(path: str, table: OptionTable, sources: Sources | None = None) -> dict[str, Any]:
    """Read ``path`` and build the default map (errors name the file, line and column)."""
    doc, problems = read_yaml_file(path)
    if problems or doc is None:
        raise InputError(problems)
    return build_default_map(doc, table, Path(path).resolve().parent, sources)
