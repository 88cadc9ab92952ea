"""The run deadline bounds the whole execution, and interrupts are noted rather than raised.

Runners here are test doubles (the unit is the executor); one starts a real child process, as the
nmap runner does, to show that the run deadline ends what an abandoned batch left behind."""

from __future__ import annotations

import json
import subprocess
import threading
import time

from secaudit.execute.interrupts import Interrupts
from secaudit.execute.journal import Journal, new_run_id
from secaudit.execute.local import LocalExecutor, Limits
from secaudit.model import Observation, ObservationStatus, Probe


def probes(n: int) -> list[Probe]:
    return [Probe(f"fake|127.2.0.{i % 3 + 1}:{1000 + i}", "fake", f"127.2.0.{i % 3 + 1}:{1000 + i}") for i in range(n)]


class Hanging:
    """Answers the probes of ``quick`` at once and hangs on the others (a silent server, a stuck tool)."""

    kind = "fake"

    def __init__(self, quick=(), batch_size=1, parallel=1, child=False):
        self.quick, self.batch_size, self.parallel, self.child = set(quick), batch_size, parallel, child
        self.pids: list[int] = []

    def run(self, batch, *, timeout_s):
        for p in batch:
            if p.target in self.quick:
                yield Observation(p.id, p.kind, p.target, ObservationStatus.OK, {"n": 1})
                continue
            if self.child:
                proc = subprocess.Popen(["sleep", "60"])
                self.pids.append(proc.pid)
                proc.wait()
            else:
                time.sleep(3600)


def journal(tmp_path) -> Journal:
    return Journal.create(tmp_path, new_run_id(), {"test": True})


def lines(j: Journal) -> list[dict]:
    return [json.loads(x) for x in j.path.read_text().splitlines()]


def test_run_deadline_ends_running_probes_as_journaled_errors(tmp_path):
    ps = probes(6)
    j = journal(tmp_path)
    t0 = time.monotonic()
    summary = LocalExecutor({"fake": Hanging(quick={ps[0].target})},
                            Limits(concurrency=2, probe_timeout=30, grace=5, run_deadline=0.8)).execute(ps, j)
    elapsed = time.monotonic() - t0
    assert elapsed < 2.5, elapsed                       # not probe_timeout + grace (35 s)
    assert not summary.complete and summary.reason == "run_deadline"
    recorded = {r["probe_id"]: r for r in lines(j)}
    assert recorded[ps[0].id]["status"] == "ok"
    stopped = [r for r in recorded.values() if r["status"] == "error"]
    assert stopped and all("run deadline" in r["error"] for r in stopped), stopped
    assert len(recorded) < len(ps)                      # never started: left for --resume


def test_run_deadline_ends_the_tools_an_abandoned_batch_started(tmp_path):
    runner = Hanging(child=True)
    before = subprocess.Popen(["sleep", "30"])          # not the executor's: must survive
    try:
        LocalExecutor({"fake": runner}, Limits(concurrency=1, probe_timeout=30, run_deadline=0.8)).execute(
            probes(1), journal(tmp_path))
        assert runner.pids
        end = time.monotonic() + 5
        while time.monotonic() < end and _running(runner.pids[0]):
            time.sleep(0.05)
        assert not _running(runner.pids[0])
        assert before.poll() is None
    finally:
        before.kill()
        before.wait(timeout=5)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read()
    except OSError:
        return False
    return state[state.rfind(")") + 2:].split()[0] != "Z"


def test_an_interrupt_stops_scheduling_and_a_second_stops_waiting(tmp_path):
    # conditions, not durations (issue 25 item 2): the first interrupt once the quick probes are journaled,
    # the second once the executor, draining, has looked at the count again
    class Watched(Interrupts):
        reads = 0

        @property
        def count(self) -> int:
            self.reads += 1
            return self._count

        @count.setter
        def count(self, value: int) -> None:
            self._count = value

    interrupts = Watched()
    ps = probes(10)
    j = journal(tmp_path)
    executor = LocalExecutor({"fake": Hanging(quick={p.target for p in ps[:2]})},
                             Limits(concurrency=3, grace_on_interrupt=30), interrupts=interrupts)
    times: dict[str, float] = {}

    def interrupt_twice() -> None:
        end = time.monotonic() + 60
        while len(j.path.read_text().splitlines()) < 2 and time.monotonic() < end:
            time.sleep(0.01)
        interrupts.note()
        seen = interrupts.reads
        while interrupts.reads < seen + 4 and time.monotonic() < end:   # noticed, then read again while draining
            time.sleep(0.01)
        times["second"] = time.monotonic()
        interrupts.note()

    threading.Thread(target=interrupt_twice, daemon=True).start()
    summary = executor.execute(ps, j)
    assert time.monotonic() - times["second"] < 10.0    # not the 30 s grace
    assert not summary.complete and summary.reason == "interrupted"
    assert {r["probe_id"] for r in lines(j)} == {p.id for p in ps[:2]}   # the hung ones are left for --resume


def test_after_one_interrupt_in_flight_batches_get_their_grace(tmp_path):
    interrupts = Interrupts()

    class Slow(Hanging):
        def run(self, batch, *, timeout_s):
            interrupts.note()                # the interrupt comes while this batch runs
            time.sleep(0.6)
            for p in batch:
                yield Observation(p.id, p.kind, p.target, ObservationStatus.OK, {"n": 1})

    j = journal(tmp_path)
    executor = LocalExecutor({"fake": Slow(batch_size=2)}, Limits(concurrency=1, grace_on_interrupt=30),
                             interrupts=interrupts)
    summary = executor.execute(probes(6), j)
    assert summary.reason == "interrupted" and len(lines(j)) == 2   # the running batch finished, no other started
