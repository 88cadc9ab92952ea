"""Our security.txt validator (secaudit.checks.rfc9116): RFC 9116's rules one by one, then the same files
through ``sectxt`` (internet.nl's validator, a test-only dependency) to show both report the same problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import sectxt

from secaudit.checks import rfc9116

URL = "https://127.25.1.1/.well-known/security.txt"
SIGNED = (Path(__file__).parents[1] / "data" / "security-txt-signed.txt").read_text()
def _tampered(signed: str, line: int, text: str | None = None) -> str:
    body, tail = signed.split("-----BEGIN PGP SIGNATURE-----")
    lines = tail.split("\n")
    lines[line] = text if text is not None else ("A" if lines[line][0] != "A" else "B") + lines[line][1:]
    return body + "-----BEGIN PGP SIGNATURE-----" + "\n".join(lines)


GOOD = ("Contact: mailto:security@example.org\nContact: https://127.25.1.1/report\n"
        "Encryption: https://127.25.1.1/pgp.asc\nExpires: 2027-06-01T00:00:00Z\n"
        "Preferred-Languages: vi, en\n")

# (name, file, the problem codes RFC 9116 makes of it)
CASES = [
    ("valid", GOOD, set()),
    ("comments and blank lines", "# hello\n\n" + GOOD + "\n# bye\n", set()),
    ("crlf line ends", GOOD.replace("\n", "\r\n"), set()),
    ("no contact (§2.5.3 required)", "Expires: 2027-06-01T00:00:00Z\n", {"no_contact"}),
    ("no expires (§2.5.5 required)", "Contact: mailto:a@example.org\n", {"no_expire"}),
    ("two expires (§2.5.5 once)", GOOD + "Expires: 2027-01-01T00:00:00Z\n", {"multi_expire"}),
    ("expires not RFC 3339", GOOD.replace("2027-06-01T00:00:00Z", "1 June 2027"), {"invalid_expiry"}),
    ("expires without zone", GOOD.replace("2027-06-01T00:00:00Z", "2027-06-01T00:00:00"), {"invalid_expiry"}),
    ("contact over http (§2.5.3 https)", GOOD.replace("https://127.25.1.1/report", "http://127.25.1.1/r"),
     {"no_https"}),
    ("contact not a URI", GOOD.replace("mailto:security@example.org", "security@example.org"), {"no_uri"}),
    ("no space after colon", GOOD.replace("Expires: ", "Expires:"), {"no_space"}),
    ("space before colon", GOOD.replace("Expires:", "Expires :"), {"prec_ws"}),
    ("empty value", GOOD + "Hiring: \n", {"empty_value"}),
    ("line without a field", GOOD + "just words\n", {"invalid_line"}),
    ("last line without newline (§2.2)", GOOD.rstrip("\n"), {"no_line_separators"}),
    ("bad language tag (§2.5.8)", GOOD.replace("vi, en", "vi, english language"), {"invalid_lang"}),
    ("two language fields", GOOD + "Preferred-Languages: en\n", {"multi_lang"}),
    ("canonical elsewhere (§2.5.2)", GOOD + "Canonical: https://127.25.1.2/.well-known/security.txt\n",
     {"no_canonical_match"}),
    ("canonical here", GOOD + f"Canonical: {URL}\n", set()),
    ("csaf not provider metadata", GOOD + "CSAF: https://127.25.1.1/csaf.json\n", {"no_csaf_file"}),
    ("unknown field is allowed (§2.4)", GOOD + "X-Team: blue\n", set()),
    ("signed", SIGNED, set()),
    ("signed, then data after the signature", SIGNED + "Contact: mailto:x@example.org\n", {"data_after_sig"}),
    ("signed, two blank lines at the end", SIGNED + "\n", {"too_many_line_separators"}),
    ("signed header not on the first line", "\n" + SIGNED, {"signed_format_issue", "pgp_data_error"}),
    ("signature packet damaged", _tampered(SIGNED, 2), {"pgp_error"}),
    ("signature cut short", SIGNED.split("-----BEGIN PGP SIGNATURE-----")[0], {"pgp_data_error"}),
]


@pytest.mark.parametrize("name,text,codes", CASES, ids=[c[0] for c in CASES])
def test_rules(name, text, codes):
    assert {p.code for p in rfc9116.parse(text, url=URL).errors} == codes


@pytest.mark.parametrize("name,text,codes", CASES, ids=[c[0] for c in CASES])
def test_agrees_with_sectxt(name, text, codes):
    theirs = sectxt.Parser(text.encode(), urls=URL)
    ours = rfc9116.parse(text.encode(), url=URL)
    # sectxt judges Expires against the wall clock: those two codes are the check's business, not the parser's
    their_errors = {e["code"] for e in theirs.errors} - {"expired"}
    assert {p.code for p in ours.errors} == their_errors
    clock = {"long_expiry"}
    assert {p.code for p in ours.recommendations} == {r["code"] for r in theirs.recommendations} - clock


def test_fields_signature_and_encoding():
    signed = rfc9116.parse(SIGNED, url=URL)
    assert signed.signed and signed.expires == "2027-06-01T00:00:00Z"
    assert signed.values("Contact") == ("mailto:security@example.org",)
    assert not rfc9116.parse(GOOD).signed
    assert {p.code for p in rfc9116.parse(b"\xef\xbb\xbf" + GOOD.encode()).errors} == {"bom_in_file"}
    assert {p.code for p in rfc9116.parse(GOOD.encode() + b"# \xff\n").errors} == {"utf8"}
    line = next(p for p in rfc9116.parse(GOOD + "oops\n").errors)
    assert line.line == GOOD.count("\n") + 1


def test_signature_armour_checksum():
    """Stricter than sectxt (which only warns): a wrong CRC-24 (RFC 4880 §6.1) is an error."""
    assert {p.code for p in rfc9116.parse(_tampered(SIGNED, 5, "=AAAA")).errors} == {"pgp_error"}
    assert rfc9116.language_tag_is_valid("zh-Hant-TW") and rfc9116.language_tag_is_valid("x-private")
    assert not rfc9116.language_tag_is_valid("en_US")
