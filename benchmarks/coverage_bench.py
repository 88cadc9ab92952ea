"""Benchmark: the levels' port coverage (top-1,000 and all 65,535 TCP ports) on loopback hosts with a few
open ports, secaudit vs the very same raw nmap argv.

    .venv/bin/python benchmarks/coverage_bench.py [--hosts 4] [--rounds 3] [--json OUT]

Each host (127.4.10.1.. : this benchmark's own loopback addresses) has three real listeners: a telnet-like
server on 2323 (speaks first), an HTTP server on 8081 (waits for the client: nmap -sV's NULL probe waits
~5 s before it sends a GET) and an SSH-like banner on a port above 40000 (outside the top 1,000).

* secaudit: ``secaudit.probes.ports.run_probes`` with the probes the plan makes at levels 1-3 (top-1000)
  and 4-5 (1-65535), -sV as the ports controls ask: scope check, one nmap per host (8 at a time), XML
  through python-nmap, normalised observations.
* raw nmap: the argvs secaudit ran (from its observations), started by subprocess the same way (one per
  host, all at once), output discarded. Rounds alternate; the machine is shared, so compare best-of-N
  and the median of paired rounds.
* grouped nmap (reference): one nmap for all hosts with the union of ports, as secaudit did before
  issue 12 (fast, but one slow host cost every other host of its group).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secaudit.model import Control, Endpoint, LocalText, Probe, Purpose, Service, Severity, System  # noqa: E402
from secaudit.probes import ports as pp  # noqa: E402
from secaudit.lab import ports_servers as srv  # noqa: E402

BANNER_PORT = 40222


@contextlib.contextmanager
def banner_server(host: str, port: int, banner: bytes):
    """Sends ``banner`` to every client and closes (an SSH server's first line is enough for -sV)."""
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(64)
    lsock.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        deadline = time.monotonic() + 3600
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            with contextlib.suppress(OSError):
                conn.sendall(banner)
                time.sleep(0.2)
            conn.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield port
    finally:
        stop.set()
        t.join(timeout=5)
        lsock.close()


@contextlib.contextmanager
def lab(hosts: list[str]):
    with contextlib.ExitStack() as stack:
        for h in hosts:
            stack.enter_context(srv.telnet_like_server(h, port=2323))
            stack.enter_context(srv.http_server(h, port=8081))
            stack.enter_context(banner_server(h, BANNER_PORT, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))
        yield


def probes(hosts: list[str], spec: str):
    control = Control(id="PORT-UNDECL-01", title=LocalText("x", "x"), check="ports.only_allowed",
                      params={"range": spec}, severity=Severity.MEDIUM)
    out = []
    for h in hosts:
        system = System(id=h, name=h, purpose=Purpose.INTERNAL, endpoints=(Endpoint(h, 443, Service.HTTPS),))
        params = pp.probe_params({"ports:scan", "ports:service"}, h, [system], [control])
        out.append(Probe(id=f"ports|{h}", kind="ports", target=h, params=params))
    return out


def run_parallel(argvs: list[list[str]]) -> None:
    procs = [subprocess.Popen(a, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for a in argvs]
    for p in procs:
        p.wait(timeout=600)


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def scenario(hosts: list[str], spec: str, rounds: int) -> dict:
    ps = probes(hosts, spec)
    sec_t, raw_t, grouped_t = [], [], []
    argvs: list[list[str]] = []
    for _ in range(rounds):
        dt, obs = timed(lambda: pp.run_probes(ps, scope=hosts, deadline_s=120))
        bad = [o.error for o in obs if o.error]
        assert not bad, bad
        found = {o.target: sorted(p.port for p in o.facts.open_ports) for o in obs}
        assert all({2323, 8081} <= set(v) for v in found.values()), found
        if spec == "1-65535":
            assert all(BANNER_PORT in v for v in found.values()), found
        sec_t.append(dt)
        argvs = [list(o.facts.command) for o in obs]
        dt, _ = timed(lambda: run_parallel(argvs))
        raw_t.append(dt)
        grouped = argvs[0][:argvs[0].index("--") + 1] + hosts
        dt, _ = timed(lambda: run_parallel([grouped]))
        grouped_t.append(dt)
    size = len(json.dumps(obs[0].facts.to_dict()))
    return {
        "coverage": spec, "hosts": len(hosts), "ports_per_host": obs[0].facts.scanned_count,
        "open_per_host": len(obs[0].facts.open_ports), "rounds": rounds,
        "secaudit_s": [round(x, 3) for x in sec_t], "raw_nmap_s": [round(x, 3) for x in raw_t],
        "grouped_nmap_s": [round(x, 3) for x in grouped_t],
        "secaudit_min_s": round(min(sec_t), 3), "raw_nmap_min_s": round(min(raw_t), 3),
        "grouped_nmap_min_s": round(min(grouped_t), 3),
        "ratio_min": round(min(sec_t) / min(raw_t), 3),
        "ratio_paired_median": round(statistics.median(a / b for a, b in zip(sec_t, raw_t)), 3),
        "observation_json_bytes_per_host": size,
        "nmap_argv_head": argvs[0][1:12],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    hosts = [f"127.4.10.{i}" for i in range(1, args.hosts + 1)]
    pp.find_nmap()
    results = []
    with lab(hosts):
        for spec in ("top-1000", "1-65535"):
            r = scenario(hosts, spec, args.rounds)
            results.append(r)
            print(f"{spec}: {r['hosts']} hosts x {r['ports_per_host']} ports, {r['open_per_host']} open each, -sV, "
                  f"{r['rounds']} rounds")
            print(f"  secaudit (one nmap per host, parallel): {r['secaudit_s']} s")
            print(f"  raw nmap, same argvs, same parallelism: {r['raw_nmap_s']} s")
            print(f"  one grouped nmap for all hosts (old):   {r['grouped_nmap_s']} s")
            print(f"  ratio secaudit / raw: {r['ratio_min']}x (best of each), {r['ratio_paired_median']}x (median of "
                  f"paired rounds); observation {r['observation_json_bytes_per_host']} bytes of JSON per host")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
