"""The one place that owns process exit statuses (design §5)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0                 # compliant / valid
    FINDINGS = 1           # findings at or above --fail-on (or a failed profile, an under-classified system)
    INPUT_ERROR = 2        # usage or input error
    SCAN_ERRORS = 3        # scan errors left controls without a verdict (unless --errors-ok)
    INTERRUPTED = 130      # interrupted; partial results kept, resumable
