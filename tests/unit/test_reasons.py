"""Why a probe failed, in the reader's language: an observation's reason is a catalog message, kept through
the journal's JSON, rendered inside a finding's message, and the English text stays in `error` for logs."""

from __future__ import annotations

import json

from secaudit.execute.local import error_observation, failure_reason
from secaudit.model import Message, Observation, ObservationStatus, Probe
from secaudit.probes.ports import ScopeError
from secaudit.serialize import observation_from_dict, observation_to_dict

PROBE = Probe(id="tls|127.0.0.1:443|abc", kind="tls", target="127.0.0.1:443")


def test_given_a_deadline_reason_then_english_is_kept_for_logs_and_vietnamese_is_rendered_for_readers():
    obs = error_observation(PROBE, Message("execute.deadline", {"seconds": "8"}))
    assert obs.status is ObservationStatus.ERROR
    assert obs.error == "deadline exceeded: no answer within 8 s"
    assert obs.reason_text("vi") == "quá thời hạn: không có trả lời trong 8 giây"


def test_given_the_journal_json_then_the_reason_survives_the_round_trip():
    obs = error_observation(PROBE, Message("execute.run_deadline", {"seconds": "10"}))
    again = observation_from_dict(json.loads(json.dumps(observation_to_dict(obs))))
    assert again == obs
    assert again.reason_text("vi").startswith("hết thời hạn của lượt quét")


def test_given_a_plain_text_reason_from_a_library_then_it_is_shown_verbatim_in_every_language():
    obs = error_observation(PROBE, "BUG_IN_SSLYZE: ValueError: x")
    assert obs.reason is None and obs.reason_text("vi") == "BUG_IN_SSLYZE: ValueError: x"


def test_given_a_scope_refusal_inside_a_runner_then_its_own_message_is_the_reason():
    reason = failure_reason(ScopeError("ports.scope.not_in_inventory", host="127.0.0.9"))
    obs = Observation.failed(PROBE, reason)
    assert "127.0.0.9" in obs.error and obs.error.startswith("probe failed: ")
    assert obs.reason_text("vi").startswith("phép đo thất bại: ") and obs.reason_text("vi") != obs.error


def test_given_a_finding_message_carrying_the_reason_then_it_renders_in_one_language_also_from_stored_json():
    reason = Message("execute.deadline", {"seconds": "5"})
    finding = Message("tls.error.probe", {"reason": reason})
    stored = Message("tls.error.probe", {"reason": {"key": "execute.deadline", "args": {"seconds": "5"}}})
    assert finding.render("vi") == stored.render("vi")
    assert "quá thời hạn" in finding.render("vi") and "deadline exceeded" in finding.render("en")
