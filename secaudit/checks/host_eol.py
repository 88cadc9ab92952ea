"""End of security support of Linux releases: dated data the HOST-OS-01 check reads (pure, no I/O).

Each entry is (os-release ID, major VERSION_ID) -> the last day the vendor (or its long-term support
programme: Debian LTS, Ubuntu standard support, RHEL maintenance) publishes security updates for it.
Extended paid programmes (Ubuntu Pro/ESM, RHEL ELS) are not counted: an agency relying on one declares a
waiver. Review this table when AS_OF is more than six months old.
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2026, 12, 1)

END_OF_SUPPORT: dict[tuple[str, str], dt.date] = {
    ("debian", "9"): dt.date(2022, 6, 30),
    ("debian", "10"): dt.date(2024, 6, 30),
    ("debian", "11"): dt.date(2026, 8, 31),
    ("debian", "12"): dt.date(2028, 6, 30),
    ("debian", "13"): dt.date(2030, 6, 30),
    ("ubuntu", "16.04"): dt.date(2021, 4, 30),
    ("ubuntu", "18.04"): dt.date(2023, 5, 31),
    ("ubuntu", "20.04"): dt.date(2025, 5, 31),
    ("ubuntu", "22.04"): dt.date(2027, 6, 1),
    ("ubuntu", "24.04"): dt.date(2029, 5, 31),
    ("rhel", "7"): dt.date(2024, 6, 30),
    ("rhel", "8"): dt.date(2029, 5, 31),
    ("rhel", "9"): dt.date(2032, 5, 31),
    ("rhel", "10"): dt.date(2035, 5, 31),
    ("centos", "7"): dt.date(2024, 6, 30),
    ("centos", "8"): dt.date(2021, 12, 31),
    ("centos", "9"): dt.date(2027, 5, 31),
    ("rocky", "8"): dt.date(2029, 5, 31),
    ("rocky", "9"): dt.date(2032, 5, 31),
    ("almalinux", "8"): dt.date(2029, 5, 31),
    ("almalinux", "9"): dt.date(2032, 5, 31),
    ("ol", "7"): dt.date(2024, 12, 31),
    ("ol", "8"): dt.date(2029, 7, 31),
    ("ol", "9"): dt.date(2032, 6, 30),
}


def release_key(os_id: str, version_id: str) -> tuple[str, str]:
    """("ubuntu", "22.04") stays; RHEL-like majors drop the minor ("9.4" -> "9"); Debian "12" stays."""
    if os_id == "ubuntu":
        return os_id, version_id
    return os_id, version_id.split(".", 1)[0]


def end_of_support(os_id: str, version_id: str) -> dt.date | None:
    return END_OF_SUPPORT.get(release_key(os_id, version_id))
