"""Pure parts of the distributed executor: broker URLs and passwords, the batch/result wire format,
routing by zone, the worker's scope check."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.execute.broker import (
    BrokerConfigError, broker_config, redact, strip_password, zone_of_queue, zone_queue,
)
from secaudit.execute.celery_executor import RESEND_INTERRUPTED, _Run, _Sent, zones_by_host
from secaudit.execute.interface import NullObserver
from secaudit.execute.interrupts import Interrupts
from secaudit.execute.journal import MemoryJournal
from secaudit.execute.wire import PayloadError, batch_message, parse_batch, parse_result, result_message
from secaudit.execute.worker import outside_scope, probe_hosts
from secaudit.model import Endpoint, Inventory, Observation, ObservationStatus, Organisation, Probe, Purpose, System
from secaudit.targets import parse_scope

P1 = Probe("tls|127.7.1.1:443|a", "tls", "127.7.1.1:443", {"host": "127.7.1.1", "port": 443})
P2 = Probe("tls|127.7.1.2:443|b", "tls", "127.7.1.2:443", {"host": "127.7.1.2", "port": 443})


def test_password_from_the_environment_file_or_url_and_never_shown(tmp_path, monkeypatch):
    monkeypatch.delenv("SECAUDIT_BROKER_PASSWORD", raising=False)
    with pytest.raises(BrokerConfigError) as e:
        broker_config("redis://127.0.0.1:6379/0")
    assert e.value.key == "zones.broker_no_password"
    monkeypatch.setenv("SECAUDIT_BROKER_PASSWORD", "s3cr/t@x")
    cfg = broker_config("redis://scanner@127.0.0.1:6379/0")
    assert cfg.url == "redis://scanner:s3cr%2Ft%40x@127.0.0.1:6379/0"
    assert cfg.redacted() == "redis://scanner:***@127.0.0.1:6379/0"
    assert strip_password(cfg.url) == "redis://scanner@127.0.0.1:6379/0"
    pw = tmp_path / "pw"
    pw.write_text("from-file\n")
    assert broker_config("redis://127.0.0.1:1/0", password_file=str(pw)).url == "redis://:from-file@127.0.0.1:1/0"
    assert broker_config("rediss://:inline@[::1]:6380/0").tls
    assert redact("rediss://:inline@[::1]:6380/0") == "rediss://:***@[::1]:6380/0"


@pytest.mark.parametrize("url,key", [("amqp://:x@127.0.0.1/", "zones.broker_scheme"),
                                     ("redis://:x@127.0.0.1:99999/0", "zones.broker_url_invalid"),
                                     ("redis://:x@/0", "zones.broker_scheme")])
def test_bad_broker_urls_are_clear_errors(url, key):
    with pytest.raises(BrokerConfigError) as e:
        broker_config(url)
    assert e.value.key == key
    assert "x@" not in str(e.value.args_)


def test_missing_password_file_is_a_clear_error(tmp_path):
    with pytest.raises(BrokerConfigError) as e:
        broker_config("redis://127.0.0.1:1/0", password_file=str(tmp_path / "nope"))
    assert e.value.key == "zones.password_file"


def test_zone_queues():
    assert zone_queue("dmz") == "secaudit.zone.dmz" and zone_queue(None) == "secaudit.zone.default"
    assert zone_of_queue("secaudit.zone.dmz") == "dmz" and zone_of_queue("celery") is None
    with pytest.raises(BrokerConfigError):
        zone_queue("-x;rm")


def test_batch_round_trip_and_refusals():
    batch = parse_batch(batch_message("run1", "a", "tls", [P1, P2], 30.0))
    assert batch.probes == (P1, P2) and batch.zone == "a" and batch.timeout_s == 30.0
    for bad in (None, [], {"v": 2}, {**batch_message("r", "a", "tls", [P1], 30), "probes": []},
                {**batch_message("r", "a", "tls", [P1], 30), "timeout_s": float("nan")},
                {**batch_message("r", "a", "tls", [P1], 30), "kind": "ports"},
                {**batch_message("r", "a", "tls", [P1], 30), "probes": [{"id": "x", "kind": "tls"}]}):
        with pytest.raises(PayloadError):
            parse_batch(bad)


def test_a_result_speaks_only_for_its_batch():
    mine = Observation(P1.id, "tls", P1.target, ObservationStatus.ERROR, None, "refused")
    forged_target = Observation(P2.id, "tls", "127.7.9.9:443", ObservationStatus.ERROR, None, "x")
    other = Observation("tls|elsewhere|c", "tls", "127.7.1.3:443", ObservationStatus.ERROR, None, "x")
    msg = result_message("w@h", "a", 1.5, [mine, forged_target, other, mine])
    msg["observations"].append({"garbage": True})
    res = parse_result(msg, {P1.id: P1, P2.id: P2})
    assert [o.probe_id for o in res.observations] == [P1.id]
    assert res.worker == "w@h" and res.runtime_s == 1.5
    with pytest.raises(PayloadError):
        parse_result({"v": 1, "observations": "x"}, {})


def test_probes_an_interrupted_worker_hands_back_are_only_its_batchs_unobserved_ones():
    seen = Observation(P1.id, "tls", P1.target, ObservationStatus.OK, None, None)
    msg = result_message("w@h", "a", 0.2, [seen], interrupted=[P1.id, P2.id, "tls|elsewhere|c", P2.id])
    res = parse_result(msg, {P1.id: P1, P2.id: P2})
    assert res.interrupted == (P2.id,)                 # not the observed one, not another batch's, once
    assert "interrupted" not in result_message("w@h", "a", 0.2, [seen])          # the v2 answer as before
    assert parse_result({**msg, "interrupted": "x"}, {P1.id: P1, P2.id: P2}).interrupted == ()


def test_systems_without_a_zone_go_to_the_default_zone_and_the_first_system_wins():
    def sys_(sid, zone, host):
        return System(sid, sid, Purpose.INTERNAL, zone=zone, endpoints=(Endpoint(host, 443),))
    inv = Inventory(Organisation("o"), (sys_("a", "dmz", "127.7.1.1"), sys_("b", None, "127.7.1.2"),
                                        sys_("c", "lan", "127.7.1.1")))
    assert zones_by_host(inv) == {"127.7.1.1": "dmz", "127.7.1.2": "default"}


def test_the_worker_checks_every_host_a_probe_would_contact():
    scope = parse_scope(["127.7.1.0/24"])
    assert outside_scope(P1, scope) is None
    sneaky = Probe("x", "tls", "127.7.1.1:443", {"host": "127.7.2.9", "port": 443})
    assert probe_hosts(sneaky) == ["127.7.1.1", "127.7.2.9"] and outside_scope(sneaky, scope) == "127.7.2.9"
    weird = Probe("y", "tls", "127.7.1.1:443", {"host": ["127.7.1.1"]})
    assert outside_scope(weird, scope) is not None
    ports = Probe("z", "ports", "127.7.1.8", {"host": "127.7.1.8", "ports": [22]})
    assert outside_scope(ports, scope) is None


def test_the_run_settings_travel_with_a_batch_and_are_checked_on_arrival(tmp_path):
    from secaudit.execute.wire import MAX_CA_PEM, RunSettings

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    settings = RunSettings.of(str(ca), {"resolver": "127.25.0.53", "mta_sts_port": 8443})
    batch = parse_batch(batch_message("r", "a", "tls", [P1], 5, settings))
    assert batch.settings == settings and batch.settings.ca_pem == ca.read_text()
    assert parse_batch(batch_message("r", "a", "tls", [P1], 5)).settings == RunSettings()   # no CA, no options
    big = tmp_path / "big.pem"
    big.write_text(ca.read_text() + "#" * MAX_CA_PEM)
    only_hash = RunSettings.of(str(big), {})
    assert only_hash.ca_pem is None and len(only_hash.ca_sha256) == 64          # too large: the hash alone
    message = batch_message("r", "a", "tls", [P1], 5, settings)
    for bad in ({**message["settings"], "ca_pem": message["settings"]["ca_pem"] + "x"},     # not the hashed bundle
                {**message["settings"], "ca_pem": "A" * (MAX_CA_PEM + 1)},                 # beyond the bound
                {**message["settings"], "ca_sha256": "../../etc"},
                {**message["settings"], "options": {f"o{i}": 1 for i in range(17)}},
                {**message["settings"], "options": {"resolver": "x" * 300}},
                None):
        with pytest.raises(PayloadError):
            parse_batch({**message, "settings": bad})
    with pytest.raises(PayloadError):
        parse_batch({k: v for k, v in message.items() if k != "settings"})          # an older coordinator's batch


def test_a_worker_uses_the_run_ca_or_refuses_naming_it(tmp_path):
    from secaudit.execute.wire import RunSettings
    from secaudit.execute.worker import WorkerSettings, run_ca_file

    own = tmp_path / "own.pem"
    own.write_text("#" * 200000)
    worker = WorkerSettings("a", parse_scope(["127.25.0.0/24"]), ca_file=str(own))
    assert run_ca_file(RunSettings(), worker, "w") == (None, None)              # the run trusts no extra CA: nor do we
    small = tmp_path / "small.pem"
    small.write_text("# small\n")
    path, why = run_ca_file(RunSettings.of(str(small), {}), worker, "w")
    assert why is None and Path(path).read_text() == "# small\n"
    assert run_ca_file(RunSettings.of(str(own), {}), worker, "w") == (str(own), None)   # same large file
    other = tmp_path / "other.pem"
    other.write_text("%" * 200000)
    path, why = run_ca_file(RunSettings.of(str(other), {}), worker, "w")
    assert path is None and why.key == "worker.refused_ca" and "CA bundle" in why.render("en")


class _Coordinator:                       # the executor attributes the coordinator's bookkeeping reads
    interrupts = Interrupts()


def test_the_coordinator_sends_handed_back_probes_again_a_bounded_number_of_times():
    journal = MemoryJournal()
    run = _Run(_Coordinator(), journal, NullObserver(), 2, 0)     # type: ignore[arg-type]
    seen = Observation(P1.id, "tls", P1.target, ObservationStatus.OK, None, None)
    answer = result_message("w@h", "a", 0.2, [seen], interrupted=[P2.id])
    for attempt in range(RESEND_INTERRUPTED + 1):
        sent = _Sent("a", "tls", [P1, P2], frozenset(), pending={P1.id: P1, P2.id: P2})
        run._accept(answer, sent.pending, sent)
        assert sent.pending == {}
        handed_back, run.again = run.again, []
        assert handed_back == ([P2] if attempt < RESEND_INTERRUPTED else []), attempt
    assert [o.probe_id for o in journal.items] == [P1.id]        # never an ERROR for the handed-back probe
    assert run.reason == "worker_interrupted"                    # left out of the journal for --resume
