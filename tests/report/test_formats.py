"""Every registered format on the same canned run: pure, deterministic, both languages."""

from __future__ import annotations

import pytest

from secaudit.report import FORMATS, ReportFormat, format_names, get_format


def test_registry_lists_every_format_explicitly():
    assert set(format_names()) == {"html", "md", "text", "json", "sarif", "junit", "csv"}
    for name, cls in FORMATS.items():
        assert issubclass(cls, ReportFormat) and cls.name == name and cls.extension
    assert get_format("markdown").name == "md"
    with pytest.raises(KeyError):
        get_format("pdf")


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_each_format_renders_the_canned_run_deterministically(results, incomplete_results, name, lang):
    fmt = get_format(name)
    first = fmt.render(results, lang)
    assert first and first == fmt.render(results, lang)
    if name != "csv":      # CSV holds findings only; every other format says the run is partial
        assert fmt.render(incomplete_results, lang) != first


def test_human_formats_differ_by_language(results):
    for name in ("html", "md", "text", "csv", "sarif", "junit"):
        assert get_format(name).render(results, "en") != get_format(name).render(results, "vi"), name


def test_importing_the_package_does_not_import_jinja2():
    import subprocess
    import sys

    code = "import sys, secaudit.report; print('jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_an_empty_run_renders_in_every_format(results, name):
    import dataclasses

    empty = dataclasses.replace(results, inventory=dataclasses.replace(results.inventory, systems=()), systems=(),
                                controls=(), findings=(), observations=(), expired_waivers=())
    text = get_format(name).render(empty, "vi")
    assert text.strip()
    if name == "sarif":
        import json

        from .test_sarif import _validate

        doc = json.loads(text)
        _validate(doc)
        assert doc["runs"][0]["results"] == []
