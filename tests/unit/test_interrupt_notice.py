"""A first Ctrl-C the user can see: the executors tell their observer each step of an interrupt, and the CLI
prints one line for it on stderr, in the reader's language, whatever the progress display.

Given runners that hold their probes (test doubles: the unit under test is the executor's bookkeeping, the
real signals are exercised in tests/integration/test_resume.py and test_deadline_signals.py), when an interrupt
is noted while probes are in flight, then the observer hears (1, probes in flight, the grace), and a second
interrupt heard then ends the grace at once and is told as well. Two interrupts noted before the executor
looked count as the second: no grace at all.
"""

from __future__ import annotations

import threading
import time

import pytest

from secaudit.cli.progress import InterruptNotice, make_observer, notice_text
from secaudit.execute.broker import BrokerConfig
from secaudit.execute.celery_executor import CeleryExecutor, _Run as CeleryRun
from secaudit.execute.interface import Interruption, NullObserver
from secaudit.execute.interrupts import Interrupts
from secaudit.execute.journal import MemoryJournal
from secaudit.execute.local import Limits, LocalExecutor
from secaudit.model import Observation, ObservationStatus, Probe

LONG_GRACE = 60.0            # the tests end long before it: a grace waited out would show as a timeout


def probes(n: int) -> list[Probe]:
    return [Probe(f"tls|127.7.2.{i + 1}:443|x", "tls", f"127.7.2.{i + 1}:443", {"host": f"127.7.2.{i + 1}",
                                                                               "port": 443}) for i in range(n)]


class Heard(NullObserver):
    """Records what it is told; at the first interrupt, the user presses Ctrl-C again (when ``again``)."""

    def __init__(self, interrupts: Interrupts, again: bool) -> None:
        self.interrupts, self.again = interrupts, again
        self.told: list[Interruption] = []

    def interrupted(self, interruption: Interruption) -> None:
        self.told.append(interruption)
        if self.again and interruption.count == 1:
            self.interrupts.note()


class Holding:
    """One batch of every probe: the first is observed, then the interrupt arrives, the others are held until
    ``release`` is set (bounded)."""

    kind, batch_size, parallel = "tls", 10, 10

    def __init__(self, interrupts: Interrupts, before: int = 1) -> None:
        self.interrupts, self.before = interrupts, before
        self.release = threading.Event()

    def run(self, batch, *, timeout_s):
        yield Observation(batch[0].id, batch[0].kind, batch[0].target, ObservationStatus.OK, {"n": 1})
        for _ in range(self.before):
            self.interrupts.note()              # as the deferred SIGINT handler does
        self.release.wait(LONG_GRACE * 2)


def run_local(again: bool, before: int = 1) -> tuple[Heard, MemoryJournal, object, float]:
    interrupts = Interrupts()
    runner = Holding(interrupts, before)
    heard, journal = Heard(interrupts, again), MemoryJournal()
    t0 = time.monotonic()
    try:
        summary = LocalExecutor({"tls": runner}, Limits(concurrency=1, grace_on_interrupt=LONG_GRACE),
                                interrupts).execute(probes(4), journal, heard)
    finally:
        runner.release.set()
    return heard, journal, summary, time.monotonic() - t0


def test_the_local_executor_tells_a_first_interrupt_then_a_second_that_ends_the_grace():
    heard, journal, summary, took = run_local(again=True)
    assert heard.told == [Interruption(1, 3, LONG_GRACE), Interruption(2, 3, 0.0)]
    assert summary.reason == "interrupted" and not summary.complete
    assert [o.target for o in journal.items] == ["127.7.2.1:443"]          # the held ones are left for --resume
    assert took < LONG_GRACE / 2, took


def test_two_interrupts_noted_before_the_executor_looked_stop_at_once_with_one_notice():
    heard, journal, summary, took = run_local(again=False, before=2)
    assert heard.told == [Interruption(2, 3, 0.0)]
    assert summary.reason == "interrupted" and took < LONG_GRACE / 2, took


def test_a_keyboard_interrupt_without_the_deferred_handler_is_told_as_a_first_interrupt():
    class Raising(Heard):
        def observed(self, observation, done, total, failures):
            raise KeyboardInterrupt

    heard, runner = Raising(Interrupts(), again=False), Holding(Interrupts(), before=0)
    try:
        summary = LocalExecutor({"tls": runner}, Limits(concurrency=1, grace_on_interrupt=0.2),
                                Interrupts()).execute(probes(4), MemoryJournal(), heard)
    finally:
        runner.release.set()
    assert summary.reason == "interrupted"
    assert heard.told == [Interruption(1, 3, 0.2)]     # the grace then passed: nothing more to tell


class Pending:                               # a Celery AsyncResult that never arrives
    state = "PENDING"

    def forget(self) -> None:
        pass


class App:
    """What the coordinator's loop calls on Celery: a task sent is still out; the interrupt arrives with it."""

    def __init__(self, interrupts: Interrupts) -> None:
        self.interrupts, self.sent, self.revoked = interrupts, 0, []
        self.control = self

    def send_task(self, name, args, queue, task_id):
        self.sent += 1
        self.interrupts.note()
        return Pending()

    def revoke(self, ids) -> None:
        self.revoked.extend(ids)


@pytest.mark.parametrize("again", [True, False], ids=["twice", "once"])
def test_the_celery_coordinator_tells_the_interrupt_as_the_local_executor_does(again):
    interrupts = Interrupts()
    app = App(interrupts)
    grace = LONG_GRACE if again else 0.2
    ex = CeleryExecutor(BrokerConfig("redis://:pw@127.0.0.1:6379/0"), "run", {}, {},
                        Limits(concurrency=1, grace_on_interrupt=grace), app=app, interrupts=interrupts)
    heard = Heard(interrupts, again)
    run = CeleryRun(ex, MemoryJournal(), heard, 2, 0)
    t0 = time.monotonic()
    summary = run.loop(ex._batches(probes(2)))
    assert app.sent == 1 and len(app.revoked) == 1                      # the batch out is revoked, for --resume
    assert summary.reason == "interrupted"
    if again:
        assert heard.told == [Interruption(1, 1, LONG_GRACE), Interruption(2, 1, 0.0)]
        assert time.monotonic() - t0 < LONG_GRACE / 2
    else:
        assert heard.told == [Interruption(1, 1, 0.2)]


# ------------------------------------------------------------------------------------------- what the user reads


@pytest.mark.parametrize("interruption, lang, resume, expected", [
    (Interruption(1, 3, 2.0), "en", "20261207T154500Z-abc123",
     "Interrupted: waiting up to 2 s for the probes still running (3); press Ctrl-C again to stop now. "
     "The run can be resumed with --resume 20261207T154500Z-abc123."),
    (Interruption(1, 3, 2.5), "vi", "R1",
     "Đã nhận lệnh ngắt: chờ tối đa 2.5 giây cho các phép đo đang chạy (3); nhấn Ctrl-C lần nữa để dừng ngay. "
     "Có thể tiếp tục lượt quét bằng --resume R1."),
    (Interruption(1, 0, 2.0), "en", None, "Interrupted: no probe is running; stopping."),
    (Interruption(2, 1, 0.0), "en", None, "Interrupted again: stopping now, without the probes still running (1)."),
    (Interruption(3, 2, 0.0), "vi", "R1", "Đã nhận lệnh ngắt lần nữa: dừng ngay, bỏ qua các phép đo đang chạy (2). "
     "Có thể tiếp tục lượt quét bằng --resume R1."),
])
def test_the_notice_in_the_readers_language(interruption, lang, resume, expected):
    assert notice_text(interruption, lang, resume) == expected


def test_the_notice_is_printed_on_stderr_with_quiet_and_without_a_terminal(capsys, monkeypatch):
    # --quiet hides progress, not this notice (nor the resume hint): the user must know Ctrl-C was heard
    monkeypatch.setenv("CI", "1")
    observer = make_observer(quiet=True, log_json=False, notice=InterruptNotice("en", "R1"))
    observer.interrupted(Interruption(1, 2, 2.0))
    out, err = capsys.readouterr()
    assert out == "" and err == ("Interrupted: waiting up to 2 s for the probes still running (2); press Ctrl-C "
                                 "again to stop now. The run can be resumed with --resume R1.\n")


def test_with_log_json_the_interrupt_is_also_an_event(capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    observer = make_observer(quiet=False, log_json=True, notice=InterruptNotice("vi", None))
    observer.interrupted(Interruption(2, 1, 0.0))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("Đã nhận lệnh ngắt lần nữa: dừng ngay")
    assert '"event": "scan.interrupted", "count": 2, "in_flight": 1, "grace_s": 0.0' in lines[1]


def test_a_broken_stderr_does_not_break_the_interrupted_run(monkeypatch):
    # `secaudit scan ... 2>&1 | tee log`: the terminal's Ctrl-C ends tee too; the notice then meets a broken pipe,
    # and the run must still write its reports and end with 130
    class Broken:
        encoding = "utf-8"

        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stderr", Broken())
    InterruptNotice("en", "R1").interrupted(Interruption(1, 2, 2.0))      # no exception
    with pytest.raises(BrokenPipeError):
        Broken().write("x")                                               # the double does break
