"""The lab's servers never outlive the process that started them: a test run killed with kill -9 (or by a
timeout) leaves no nginx holding its loopback addresses for the next run; a farm whose port another process took
meanwhile starts on another one."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from secaudit.lab import servers
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site, free_ports, listener_owned_by

pytestmark = pytest.mark.integration

CHILD = """
import sys, time
from pathlib import Path
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
w = Path(sys.argv[1])
pki = TestPKI()
site = Site("s", *pki.write_leaf(pki.leaf(names=("127.9.3.11",)), w, "s"), host="127.9.3.11", port=8443)
with NginxFarm([site], w) as farm:
    print(farm.proc.pid, flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    # one look, no check first: nginx, orphaned by the kill, is reaped by init whenever it exits, so its /proc
    # entry can vanish between any two looks (os.kill(pid, 0) and then open() raced like that)
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"   # a zombie waiting for its reaper is gone too


def test_given_a_test_process_killed_with_sigkill_then_its_nginx_stops_too(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        nginx = int(child.stdout.readline())
        assert _alive(nginx)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        end = time.monotonic() + 10
        while _alive(nginx) and time.monotonic() < end:
            time.sleep(0.1)
        assert not _alive(nginx)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)


def test_given_its_port_taken_by_another_process_then_the_farm_starts_nginx_on_another(tmp_path, monkeypatch):
    # the port a farm picked is taken before nginx binds it: connecting gets an answer all the same (the other
    # process's), so only the listener's owner tells that nginx never got it, and the farm picks again
    host = "127.9.3.12"
    pki = TestPKI()
    crt, key = pki.write_leaf(pki.leaf(names=(host,)), tmp_path, "s")
    with socket.socket() as thief:
        thief.bind((host, 0))
        thief.listen(8)
        taken = thief.getsockname()[1]
        picks = iter([[taken]])
        monkeypatch.setattr(servers, "free_ports", lambda count, h: next(picks, None) or free_ports(count, h))
        with NginxFarm([Site("s", crt, key, host=host)], tmp_path) as farm:
            port = farm["s"].port
            assert port != taken and listener_owned_by(farm.proc.pid, host, port)
