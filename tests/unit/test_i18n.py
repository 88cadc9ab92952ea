"""Every user-facing message exists in English and Vietnamese, once."""

from collections import Counter

from secaudit.i18n import LANGS, catalog, catalog_files, lang_from_environment, t


def test_every_message_has_every_language():
    missing = [(k, lang) for k, texts in catalog().items() for lang in LANGS if not (texts or {}).get(lang)]
    assert missing == []


def test_no_key_is_defined_in_two_catalog_files():
    counts = Counter(k for msgs in catalog_files().values() for k in msgs)
    assert [k for k, n in counts.items() if n > 1] == []


def test_placeholders_match_between_languages():
    import string

    def names(s: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(s) if f}

    bad = [k for k, v in catalog().items() if names(v["en"]) != names(v["vi"])]
    assert bad == []


def test_language_follows_locale_and_defaults_to_english():
    assert lang_from_environment({"LANG": "vi_VN.UTF-8"}) == "vi"
    assert lang_from_environment({"LANG": "de_DE.UTF-8"}) == "en"
    assert lang_from_environment({}) == "en"
    assert lang_from_environment({"SECAUDIT_LANG": "vi", "LANG": "en_US"}) == "vi"


def test_translation_fills_placeholders_in_both_languages():
    assert "nmap 6.0" in t("cli.tool_too_old.nmap", "en", found="6.0", needed="7.80")
    assert "quá cũ" in t("cli.tool_too_old.nmap", "vi", found="6.0", needed="7.80")
