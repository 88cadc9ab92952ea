"""An nmap that fails is summed up in one line; its raw output stays in the journal (issue 25 item 8).

Given real nmap stopped halfway through a service scan of a silent port (as a Ctrl-C or a killed process
leaves it: a half-written XML report), when the ports probe turns that into an observation, then the
reason reads in one line in English and Vietnamese, with no XML in it, and the raw output is kept as
data (the journal's copy of the reason), bounded.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Sequence

import pytest

from secaudit.model import Message, ObservationStatus
from secaudit.probes import ports as pp
from secaudit.serialize import observation_from_dict, observation_to_dict

pytestmark = pytest.mark.integration

HOST = "127.25.0.91"


@pytest.fixture()
def silent_port():
    """A port whose kernel completes handshakes and nobody ever answers: nmap -sV waits on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        s.listen(16)
        yield s.getsockname()[1]


def interrupted_nmap(argv: Sequence[str], timeout: float) -> pp.RunResult:
    """Runs the real nmap and sends it SIGINT once it has started writing its XML report."""
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = proc.stdout.readline()            # the XML declaration: nmap is running
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return pp.RunResult(proc.returncode, (first + out).decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def test_a_stopped_nmap_is_one_line_in_both_languages_and_raw_output_in_the_journal(silent_port):
    (obs,) = pp.scan({HOST: [silent_port]}, {"ports:scan", "ports:service"}, scope=[HOST], runner=interrupted_nmap,
                     ssh_fallback=False)
    assert obs.status is ObservationStatus.ERROR
    for lang in ("en", "vi"):
        text = obs.reason_text(lang)
        assert "\n" not in text and "<" not in text and len(text) < 300, text
        assert "nmap" in text
    assert obs.reason.key in ("ports.probe.nmap_killed", "ports.probe.nmap_failed")
    assert "<" not in (obs.error or "")                     # the log line too
    output = obs.reason.args["output"]
    assert "<?xml" in output and len(output) <= pp.RAW_OUTPUT_LIMIT + 1
    again = observation_from_dict(observation_to_dict(obs))   # as the journal stores and reads it back
    assert again.reason == obs.reason


@pytest.mark.parametrize(("res", "key", "shown"), [
    (pp.RunResult(-2, '<?xml version="1.0"?><nmaprun>', ""), "ports.probe.nmap_killed", "SIGINT"),
    (pp.RunResult(1, '<?xml version="1.0"?>', "Starting Nmap\nQUITTING!  unknown option\n"), "ports.probe.nmap_failed",
     "QUITTING! unknown option"),
    (pp.RunResult(1, "<?xml " + "x" * 10000, ""), "ports.probe.nmap_failed", "incomplete"),
])
def test_each_failure_reads_as_one_line(res, key, shown):
    m = pp.nmap_failure(res)
    assert m.key == key
    assert shown in Message(m.key, m.args).render("en")
    for lang in ("en", "vi"):
        text = m.render(lang)
        assert "\n" not in text and "<" not in text and len(text) < 300, text
    assert len(m.args["output"]) <= pp.RAW_OUTPUT_LIMIT + 1
