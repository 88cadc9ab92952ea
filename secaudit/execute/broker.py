"""The Celery application of the distributed executor (extra ``distributed``), configured in one place.

Coordinator (``secaudit scan --executor celery``) and workers (``secaudit worker``) build their app
here, so both sides agree on every option that matters for safety and delivery:

* JSON only, never pickle (``task_serializer``, ``result_serializer``, ``accept_content``,
  ``result_accept_content``): a message on the broker can carry data, never code.
* At-least-once: ``task_acks_late`` (a message is acknowledged after the batch ran),
  ``task_reject_on_worker_lost`` (a pool process killed mid-batch puts it back at once),
  ``worker_prefetch_multiplier=1`` (a worker holds no more batches than it runs), and the Redis
  transport's ``visibility_timeout``: a message a dead worker held unacknowledged is handed out
  again after that many seconds (kombu restores it on its periodic sweep, which we run every
  ``restore_interval`` seconds instead of kombu's default of about 100).
* The broker needs a password (Redis ``requirepass`` or an ACL user); ``rediss://`` verifies the
  broker's certificate (``CERT_REQUIRED``) against ``ca_file`` or the system trust store.

One queue per zone: ``secaudit.zone.<zone>``. Systems without a zone go to zone ``default``.
"""

from __future__ import annotations

import os
import re
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Any

from secaudit.errors import ToolMissingError

DEFAULT_ZONE = "default"
QUEUE_PREFIX = "secaudit.zone."
TASK_NAME = "secaudit.run_batch"
DEFAULT_VISIBILITY_TIMEOUT = 900.0     # longer than any batch: ports batches have 120 s probes plus grace
DEFAULT_RESTORE_INTERVAL = 5.0
RESULT_EXPIRES_S = 7 * 86400           # a coordinator killed mid-run collects what arrived when resumed
PASSWORD_ENV = "SECAUDIT_BROKER_PASSWORD"
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^@/]*@")
_ZONE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")   # the inventory schema's zone pattern


class BrokerConfigError(ToolMissingError):
    """The broker URL or its options cannot work (no password, wrong scheme, missing extra): exit 2."""


class ZoneUnavailableError(ToolMissingError):
    """A zone the scan needs has no live worker: the scan fails fast, before any probe (exit 2)."""


def zone_queue(zone: str | None) -> str:
    zone = zone or DEFAULT_ZONE
    if not _ZONE.match(zone):
        raise BrokerConfigError("zones.zone_invalid", zone=zone)
    return QUEUE_PREFIX + zone


def zone_of_queue(name: str) -> str | None:
    return name[len(QUEUE_PREFIX):] if name.startswith(QUEUE_PREFIX) else None


@dataclass(frozen=True)
class BrokerConfig:
    url: str                                    # redis:// or rediss://, with the password filled in
    ca_file: str | None = None                  # rediss: the CA that signed the broker's certificate
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    restore_interval: float = DEFAULT_RESTORE_INTERVAL

    @property
    def tls(self) -> bool:
        return self.url.startswith("rediss://")

    def redacted(self) -> str:
        return redact(self.url)


def redact(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages, logs and run.json); works on
    URLs too broken to parse, so an error about a bad URL never shows its password."""
    return _USERINFO.sub(r"\1:***@", url)


def strip_password(url: str) -> str:
    """The URL without its password (what a run stores to resume with; the password comes again)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    user = urllib.parse.quote(parts.username or "", safe="")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{user}@" if user else "") + host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def broker_config(url: str, *, password: str | None = None, password_file: str | None = None,
                  ca_file: str | None = None, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
                  restore_interval: float = DEFAULT_RESTORE_INTERVAL) -> BrokerConfig:
    """Check a broker URL and fill in its password from ``password``, ``password_file`` or
    $SECAUDIT_BROKER_PASSWORD (so it need not appear on a command line). Refuses a broker without one."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port                                  # noqa: B018 - raises on a bad port
    except ValueError:
        raise BrokerConfigError("zones.broker_url_invalid", url=redact(url)) from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise BrokerConfigError("zones.broker_scheme", url=redact(url))
    secret = parts.password
    if secret is None:
        if password_file:
            try:
                with open(password_file, encoding="utf-8") as fh:
                    secret = fh.read().strip()
            except OSError as e:
                raise BrokerConfigError("zones.password_file", path=password_file, reason=e.strerror or str(e)) \
                    from None
        else:
            secret = password if password is not None else os.environ.get(PASSWORD_ENV)
        if secret:
            user = urllib.parse.quote(parts.username or "", safe="")
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            netloc = f"{user}:{urllib.parse.quote(secret, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
            url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    if not secret:
        raise BrokerConfigError("zones.broker_no_password", url=redact(url), env=PASSWORD_ENV)
    return BrokerConfig(url, ca_file, float(visibility_timeout), float(restore_interval))


def _ssl_options(cfg: BrokerConfig) -> dict[str, Any] | None:
    if not cfg.tls:
        return None
    opts: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if cfg.ca_file:
        opts["ssl_ca_certs"] = cfg.ca_file
    return opts


def make_app(cfg: BrokerConfig, name: str = "secaudit") -> Any:
    """A Celery app for ``cfg`` (raises BrokerConfigError when the ``distributed`` extra is missing)."""
    try:
        # start-up: celery loaded only when needed
        from celery import Celery
    except ImportError:
        raise BrokerConfigError("zones.extra_missing") from None
    app = Celery(name, broker=cfg.url, backend=cfg.url, set_as_current=False)
    transport = {
        "visibility_timeout": cfg.visibility_timeout,
        "unacked_restore_interval": cfg.restore_interval,
        "unacked_restore_throttle": 1,           # every sweep really scans (kombu: the sweep period is interval × throttle)
        "socket_timeout": 30,                    # a broker that vanishes without closing TCP cannot hang a publish
        "socket_connect_timeout": 10,
    }
    app.conf.update(
        task_serializer="json", result_serializer="json", event_serializer="json",
        accept_content=["json"], result_accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1, task_track_started=True, result_extended=False,
        result_expires=RESULT_EXPIRES_S, task_default_queue=zone_queue(DEFAULT_ZONE),
        broker_transport_options=transport, result_backend_transport_options=dict(transport),
        broker_connection_retry_on_startup=True, broker_connection_max_retries=3,
        worker_hijack_root_logger=False, worker_send_task_events=False, task_send_sent_event=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_use_ssl=_ssl_options(cfg), redis_backend_use_ssl=_ssl_options(cfg),
        timezone="UTC", enable_utc=True,
    )
    return app


def live_workers(app: Any, timeout: float = 2.0) -> dict[str, list[str]]:
    """Zone -> names of the workers that answered a broadcast within ``timeout`` seconds."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    zones: dict[str, list[str]] = {}
    for worker, queues in sorted(replies.items()):
        for q in queues or []:
            zone = zone_of_queue(str(q.get("name", "")))
            if zone is not None:
                zones.setdefault(zone, []).append(worker)
    return zones
