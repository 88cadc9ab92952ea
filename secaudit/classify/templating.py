"""The Jinja2 environment for classification outputs and dossiers (templates in ``templates/``).

HTML templates (``*.html.j2``) are autoescaped; Markdown templates escape inventory strings with the
``md`` filter. Undefined variables are errors, so a template typo cannot silently drop a section.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from secaudit.resources import templates_dir


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    from secaudit.classify.report import md_escape

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False,
                                            default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env
