"""The one way to build a Jinja2 environment for each output kind, and catalog text for documents.

Every rendered output of secaudit (scan reports, classifications, dossiers, forms, the annual
report) gets its environment here, so escaping is decided once per kind and never left to a
template author:

- ``html``: ``autoescape=True``; control characters, ANSI escapes and bidi overrides are stripped
  and values put on one line before escaping (:func:`~secaudit.report.escape.strip_controls`).
- ``md``: every ``{{ expression }}`` goes through :func:`~secaudit.report.escape.markdown_text`
  unless it is already safe for Markdown (a ``Markup`` value: the ``md`` filter, or catalog text
  from :func:`translator`).
- ``txt``: every expression is stripped of control characters and put on one line.

Catalog messages are trusted text, their arguments are not: :func:`translator` gives templates a
``t(key, **args)`` that escapes each argument for the output kind and returns text the
environment will not escape again (Markdown), or leaves the whole text to autoescaping (HTML).
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import Any, Callable

from markupsafe import Markup, escape

from secaudit.i18n import DEFAULT_LANG, catalog, t
from secaudit.report.escape import markdown_text, strip_controls
from secaudit.resources import templates_dir

KINDS = ("html", "md", "txt")


class MarkdownSafe(Markup):
    """Text already safe for Markdown: ``format``/``join`` escape their arguments with ``markdown_text``."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any) -> "MarkdownSafe":
        if isinstance(s, Markup):
            return s if isinstance(s, cls) else cls(str(s))
        return cls(markdown_text("" if s is None else s))


class _SafeArgs(dict):
    def __missing__(self, key: str) -> str:    # a missing placeholder shows as-is, like secaudit.i18n.t
        return "{" + key + "}"


def translator(kind: str, lang: str) -> Callable[..., str]:
    """``t(key, **args)`` for templates and view builders of output ``kind`` in ``lang``."""
    if kind != "md":
        return lambda key, **args: t(key, lang, **args)

    def md(key: str, **args: Any) -> str:
        texts = catalog().get(key)
        if texts is None:                                 # like t(): an unknown key shows as itself
            return MarkdownSafe.escape(t(key, lang, **args))
        template = texts.get(lang) or texts.get(DEFAULT_LANG) or key   # catalog text: trusted
        escaped = {k: v if isinstance(v, (int, float)) and not isinstance(v, bool) else MarkdownSafe.escape(v)
                   for k, v in args.items()}           # numbers keep their format specs ({d:02d})
        return MarkdownSafe(template.format_map(_SafeArgs(escaped)))

    return md


def joiner(kind: str) -> Callable[[str, Any], str]:
    """``join(separator, items)`` that keeps already-safe items and escapes the others (Markdown)."""
    if kind != "md":
        return lambda sep, items: sep.join(str(i) for i in items)
    return lambda sep, items: MarkdownSafe(sep).join(items)


def _markdown_finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return str(value)
    return "" if value is None else markdown_text(value)


def _markdown_filter(value: Any) -> Any:
    return value if isinstance(value, Markup) else Markup(markdown_text(value))


def _html_finalize(value: Any) -> Any:
    """Strip control characters before autoescaping (they are invalid in HTML and can spoof text).

    Values go on one line: HTML shows a line break in text as a space anyway, and a value can then
    never start a line of its own in the source (``=1`` after a newline, for a pasted table)."""
    if value is None or isinstance(value, (Markup, int, float)):
        return "" if value is None else value
    return strip_controls(value, one_line=True)


def _text_finalize(value: Any) -> str:
    if isinstance(value, Markup):       # already sanitised by a filter (wrap keeps its line breaks)
        return str(value)
    return "" if value is None else strip_controls(value, one_line=True)


def _html_in_markdown(value: Any) -> Any:
    """For text inside a raw HTML block of a Markdown file (``<summary>``): HTML escaping only,
    since Markdown backslash escapes are not processed there."""
    return value if isinstance(value, Markup) else Markup(escape(strip_controls(value, one_line=True)))


def _truncate(value: Any, width: int) -> str:
    """One line of at most ``width`` characters (an ellipsis marks a cut)."""
    text = strip_controls(value, one_line=True)
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _wrap(value: Any, width: int, indent: str, first: str | None = None) -> Any:
    """Wrapped at word boundaries into lines of at most ``width`` (a word longer than a line is split);
    ``first`` is the first line's indent when it differs from the others'."""
    return Markup(textwrap.fill(strip_controls(value, one_line=True), width=width,
                                initial_indent=indent if first is None else first,
                                subsequent_indent=indent, break_long_words=True, break_on_hyphens=False))


@lru_cache(maxsize=None)
def environment(kind: str) -> Any:
    """The Jinja2 environment for ``kind`` (``html``, ``md`` or ``txt``) over the shipped ``templates/``.

    Undefined variables are errors, so a template typo cannot silently drop a section."""
    # start-up: jinja2 loaded only when a template is rendered
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if kind not in KINDS:
        raise ValueError(kind)
    common: dict[str, Any] = dict(loader=FileSystemLoader(str(templates_dir())), undefined=StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    if kind == "html":
        env = Environment(autoescape=True, finalize=_html_finalize, **common)
    elif kind == "md":
        env = Environment(autoescape=False, finalize=_markdown_finalize, **common)
    else:
        env = Environment(autoescape=False, finalize=_text_finalize, **common)
    # Filters that return Markup (already escaped for their format) exist only in their format's
    # environment: in the HTML environment a Markup value would bypass autoescaping.
    if kind == "md":
        env.filters["md"] = _markdown_filter
        env.filters["mdhtml"] = _html_in_markdown
    if kind == "txt":
        env.filters["wrap"] = _wrap
    env.filters["trunc"] = _truncate
    env.filters["pct"] = lambda r: "–" if r is None else f"{round(r * 100)}%"
    return env
