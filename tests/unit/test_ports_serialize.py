"""Ports and HTTP observations survive the run journal / results JSON (secaudit.serialize)."""

import json

from secaudit.model import Observation, ObservationStatus
from secaudit.observations.http import HttpRedirect
from secaudit.observations.ports import PortFact, PortScan, PortState, ServiceInfo, SshAlgorithms, SshAuthMethods
from secaudit.serialize import observation_from_dict, observation_to_dict


def test_ports_and_http_observations_round_trip_through_serialize():
    scan = PortScan(host="127.0.0.1", address="127.0.0.1", requested_ports=(22, 23), service_detection=True,
                    scripts=("ssh2-enum-algos",), nmap_version="7.93", command=("nmap", "-sT", "--", "127.0.0.1"),
                    ports=(PortFact(22, "tcp", PortState.OPEN, "syn-ack", ServiceInfo("ssh", "OpenSSH", method="probed"),
                                    SshAlgorithms(kex=("curve25519-sha256",)), SshAuthMethods(("publickey",), "openssh-client"),
                                    {"ssh2-enum-algos": "<b>=cmd|' /C calc'!A0</b>"}),
                           PortFact(23, "tcp", PortState.CLOSED, "conn-refused")))
    for obs in (Observation("ports|127.0.0.1|x", "ports", "127.0.0.1", ObservationStatus.OK, scan),
                Observation("http|127.0.0.1:80|y", "http", "127.0.0.1:80", ObservationStatus.OK,
                            HttpRedirect("http://127.0.0.1/", 301, "Moved", "https://127.0.0.1/", "https",
                                         "127.0.0.1", True)),
                Observation("ports|127.0.0.2|z", "ports", "127.0.0.2", ObservationStatus.ERROR, None, "timeout")):
        again = observation_from_dict(json.loads(json.dumps(observation_to_dict(obs))))
        assert again == obs
