"""Matchdesk for Synapse: checks uploads and media events against a Matchdesk team server.

Synapse calls ``check_media_file_for_spam`` with the bytes of every upload before it keeps the file, and
``check_event_for_spam`` for every event. This module sends an upload's bytes (and a media event's mxc:// URI) to the
Matchdesk check API and follows its answer:

* ``block``: the upload is refused (403 ``M_FORBIDDEN``; Synapse deletes the file and records nothing), or the event
  is refused; Matchdesk puts the item in its review queue as "blocked at upload" with the uploader.
* ``review``: the file is kept and Matchdesk queues it for a moderator.
* ``allow``: nothing happens.

If Matchdesk does not answer in time (down, slow, refusing the key), the check is a *miss*: the upload goes ahead
(``fail: open``, the default) or is refused with a 503 (``fail: closed``). Misses are counted in this module's
Prometheus counter and reported to Matchdesk on the next request that gets through.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from prometheus_client import Counter, Histogram
from twisted.internet import defer, reactor
from twisted.web.client import readBody
from twisted.web.http_headers import Headers

from synapse.module_api import NOT_SPAM, ModuleApi, make_deferred_yieldable, run_in_background
from synapse.module_api.errors import Codes, ConfigError, SynapseError

try:  # The uploader: Synapse records the authenticated requester in the request's logging context.
    from synapse.logging.context import current_context
except ImportError:  # pragma: no cover - not part of the stable module API; without it uploads go unattributed
    current_context = None  # type: ignore[assignment]

__version__ = "0.1.0"

logger = logging.getLogger(__name__)

CHECKS = Counter(
    "matchdesk_synapse_checks_total",
    "Checks asked of Matchdesk, by kind (upload, event) and outcome (allow, review, block, fail_open, fail_closed, skipped).",
    ["kind", "outcome"],
)
MISSES = Counter(
    "matchdesk_synapse_check_misses_total",
    "Checks Matchdesk did not answer, by reason (timeout, unreachable, unauthorized, rate_limited, error, bad_answer).",
    ["reason"],
)
SECONDS = Histogram(
    "matchdesk_synapse_check_seconds",
    "Time spent asking Matchdesk, by kind.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

MEDIA_MSGTYPES = frozenset({"m.image", "m.video", "m.file", "m.audio"})


class CheckMissed(Exception):
    """Matchdesk gave no usable answer."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class MatchdeskConfig:
    server_url: str
    bot_key: str | None
    bot_key_path: str | None
    timeout_seconds: float
    fail_open: bool
    check_uploads: bool
    check_events: bool
    check_remote_media: bool
    check_remote_events: bool
    max_upload_bytes: int


def _bool(config: dict[str, Any], name: str, default: bool) -> bool:
    value = config.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(f"matchdesk: {name} must be true or false", ("config", name))
    return value


def _number(config: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = config.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"matchdesk: {name} must be a number from {low} to {high}", ("config", name))
    return float(value)


class MatchdeskSpamChecker:
    """The module Synapse loads (``module: matchdesk_synapse.MatchdeskSpamChecker``)."""

    def __init__(self, config: MatchdeskConfig, api: ModuleApi) -> None:
        self._config = config
        self._api = api
        self._key_cache: tuple[float, str] | None = None
        self._missed = 0
        callbacks: dict[str, Any] = {}
        if config.check_uploads:
            callbacks["check_media_file_for_spam"] = self.check_media_file_for_spam
        if config.check_events:
            callbacks["check_event_for_spam"] = self.check_event_for_spam
        api.register_spam_checker_callbacks(**callbacks)
        logger.info(
            "Matchdesk checks %s at %s (timeout %.1f s, fail %s)",
            " and ".join(k.removeprefix("check_").removesuffix("_for_spam") for k in callbacks),
            config.server_url,
            config.timeout_seconds,
            "open" if config.fail_open else "closed",
        )

    @staticmethod
    def parse_config(config: dict[str, Any]) -> MatchdeskConfig:
        if not isinstance(config, dict):
            raise ConfigError("matchdesk: the module config must be a mapping")
        url = config.get("server_url")
        if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
            raise ConfigError("matchdesk: server_url must be the team server's http(s) URL", ("config", "server_url"))
        key, key_path = config.get("bot_key"), config.get("bot_key_path")
        if (key is None) == (key_path is None):
            raise ConfigError("matchdesk: give either bot_key or bot_key_path (a file holding the key)", ("config", "bot_key"))
        if key is not None and (not isinstance(key, str) or not key.startswith("mdk_")):
            raise ConfigError("matchdesk: bot_key must be a Matchdesk bot key (mdk_…)", ("config", "bot_key"))
        if key_path is not None and not isinstance(key_path, str):
            raise ConfigError("matchdesk: bot_key_path must be a file path", ("config", "bot_key_path"))
        fail = config.get("fail", "open")
        if fail not in ("open", "closed"):
            raise ConfigError('matchdesk: fail must be "open" or "closed"', ("config", "fail"))
        return MatchdeskConfig(
            server_url=url.rstrip("/"),
            bot_key=key,
            bot_key_path=key_path,
            timeout_seconds=_number(config, "timeout_seconds", 2.0, 0.05, 60.0),
            fail_open=fail == "open",
            check_uploads=_bool(config, "check_uploads", True),
            check_events=_bool(config, "check_events", True),
            check_remote_media=_bool(config, "check_remote_media", False),
            check_remote_events=_bool(config, "check_remote_events", False),
            max_upload_bytes=int(_number(config, "max_upload_mb", 50, 0.001, 4096) * 1024 * 1024),
        )

    # ---- Synapse callbacks -------------------------------------------------------------------------------------

    async def check_media_file_for_spam(self, file_wrapper: Any, file_info: Any) -> Any:
        # Local uploads only by default: not thumbnails (made from a file already checked), not URL previews.
        if getattr(file_info, "thumbnail", None) is not None or getattr(file_info, "url_cache", False):
            return NOT_SPAM
        local = file_info.server_name is None
        if not local and not self._config.check_remote_media:
            return NOT_SPAM
        buffer = BytesIO()
        await file_wrapper.write_chunks_to(buffer.write)
        data = buffer.getvalue()
        if len(data) == 0 or len(data) > self._config.max_upload_bytes:
            CHECKS.labels(kind="upload", outcome="skipped").inc()
            return NOT_SPAM
        server = self._api.server_name if local else file_info.server_name
        query = {"mxc": f"mxc://{server}/{file_info.file_id}"}
        uploader, file_name = _uploader()
        if uploader:
            query["userId"] = uploader
        if file_name:
            query["fileName"] = file_name
        try:
            answer = await self._ask("upload", "/api/v1/check/upload", data, "application/octet-stream", query)
        except CheckMissed as missed:
            return self._missed_check("upload", missed, refuse=lambda: _refuse_upload(local))
        action = answer["action"]
        CHECKS.labels(kind="upload", outcome=action).inc()
        if action != "block":
            return NOT_SPAM
        logger.warning("Matchdesk blocked upload %s by %s: %s", query["mxc"], uploader or "an unknown user", answer.get("reason"))
        if local:
            # Synapse answers a refused upload with 400 "Bad content" (M_UNKNOWN) whatever code a module returns; a
            # SynapseError raised here reaches the user as it is, and Synapse still deletes the file and records nothing.
            raise SynapseError(
                403,
                "This file matches media banked as abuse, so the server refused it. Moderators have been told.",
                Codes.FORBIDDEN,
                {"org.matchdesk.action": "block"},
            )
        return Codes.FORBIDDEN

    async def check_event_for_spam(self, event: Any) -> Any:
        content = event.content if isinstance(event.content, Mapping) else {}  # an immutabledict in Synapse
        is_media = (event.type == "m.room.message" and content.get("msgtype") in MEDIA_MSGTYPES) or event.type == "m.sticker"
        url = content.get("url")
        if not is_media or not isinstance(url, str) or not url.startswith("mxc://"):
            return NOT_SPAM  # not media, or encrypted media (its bytes mean nothing to a hash)
        if not self._config.check_remote_events and not self._api.is_mine(event.sender):
            return NOT_SPAM
        body = {
            "mxc": url,
            "eventId": event.event_id,
            "roomId": event.room_id,
            "userId": event.sender,
            "mediaType": content.get("msgtype") if event.type == "m.room.message" else event.type,
            "timestamp": event.origin_server_ts,
        }
        try:
            answer = await self._ask("event", "/api/v1/check", json.dumps(body).encode(), "application/json", {})
        except CheckMissed as missed:
            return self._missed_check("event", missed, refuse=lambda: (Codes.FORBIDDEN, {"org.matchdesk.error": "Matchdesk could not check this media"}))
        action = answer["action"]
        CHECKS.labels(kind="event", outcome=action).inc()
        if action == "block":
            logger.warning("Matchdesk blocked event %s by %s: %s", event.event_id, event.sender, answer.get("reason"))
            return Codes.FORBIDDEN, {"org.matchdesk.action": "block"}
        return NOT_SPAM

    # ---- asking Matchdesk ---------------------------------------------------------------------------------------

    def _missed_check(self, kind: str, missed: CheckMissed, refuse: Any) -> Any:
        MISSES.labels(reason=missed.reason).inc()
        self._missed += 1
        logger.warning("Matchdesk %s check missed (%s); failing %s", kind, missed, "open" if self._config.fail_open else "closed")
        if self._config.fail_open:
            CHECKS.labels(kind=kind, outcome="fail_open").inc()
            return NOT_SPAM
        CHECKS.labels(kind=kind, outcome="fail_closed").inc()
        return refuse()

    def _key(self) -> str:
        if self._config.bot_key:
            return self._config.bot_key
        path = self._config.bot_key_path
        assert path is not None
        try:
            # Read again when the file changes, so a key can be rotated without a restart.
            mtime = os.stat(path).st_mtime
            if self._key_cache is None or self._key_cache[0] != mtime:
                with open(path, encoding="utf-8") as f:
                    self._key_cache = (mtime, f.read().strip())
        except OSError as e:
            raise CheckMissed("unauthorized", f"cannot read bot_key_path {path}: {e.strerror}") from e
        return self._key_cache[1]

    async def _ask(self, kind: str, path: str, data: bytes, content_type: str, query: dict[str, str]) -> dict[str, Any]:
        start = reactor.seconds()  # type: ignore[attr-defined]
        # This request carries the misses so far (no other request carries them twice); they come back if it fails.
        carried, self._missed = self._missed, 0
        d = run_in_background(self._request, path, data, content_type, query, carried)
        # Whatever the cancelled request ends with (Synapse's client turns cancellation into its own errors), it timed out.
        d.addTimeout(self._config.timeout_seconds, reactor, onTimeoutCancel=_timed_out)
        try:
            return await make_deferred_yieldable(d)
        except defer.TimeoutError as e:
            self._missed += carried
            raise CheckMissed("timeout", f"no answer in {self._config.timeout_seconds} s") from e
        except BaseException:
            self._missed += carried
            raise
        finally:
            SECONDS.labels(kind=kind).observe(reactor.seconds() - start)  # type: ignore[attr-defined]

    async def _request(self, path: str, data: bytes, content_type: str, query: dict[str, str], missed: int) -> dict[str, Any]:
        url = self._config.server_url + path + (f"?{urlencode(query)}" if query else "")
        headers = Headers(
            {
                b"Content-Type": [content_type.encode("ascii")],
                b"Accept": [b"application/json"],
                b"Authorization": [b"Bearer " + self._key().encode("ascii")],
            }
        )
        if missed > 0:
            policy = "fail_open" if self._config.fail_open else "fail_closed"
            headers.addRawHeader(b"X-Matchdesk-Missed", f"{missed}; policy={policy}".encode("ascii"))
        try:
            response = await self._api.http_client.request("POST", url, data=data, headers=headers)
            raw = await make_deferred_yieldable(readBody(response))
        except defer.CancelledError:
            raise
        except Exception as e:  # connection refused, DNS, TLS, reset: Matchdesk is out of reach
            raise CheckMissed("unreachable", f"{type(e).__name__}: {e}") from e
        if response.code in (401, 403):
            raise CheckMissed("unauthorized", f"Matchdesk refused the bot key (HTTP {response.code})")
        if response.code == 429:
            raise CheckMissed("rate_limited", "over the bot key's rate (HTTP 429)")
        if response.code != 200:
            raise CheckMissed("error", f"HTTP {response.code}: {raw[:200]!r}")
        try:
            answer = json.loads(raw)
        except ValueError as e:
            raise CheckMissed("bad_answer", "the answer is not JSON") from e
        if not isinstance(answer, dict) or answer.get("action") not in ("allow", "review", "block"):
            raise CheckMissed("bad_answer", "the answer has no action")
        return answer


def _timed_out(_result: Any, timeout: float) -> Any:
    raise defer.TimeoutError(f"no answer in {timeout} s")


def _uploader() -> tuple[str | None, str | None]:
    """Who is uploading, and the file name they gave, from the request Synapse is serving."""
    if current_context is None:
        return None, None
    request = getattr(current_context(), "request", None)
    if request is None:
        return None, None
    requester = getattr(request, "requester", None)
    names = parse_qs(urlparse(getattr(request, "url", "") or "").query).get("filename")
    return (requester if isinstance(requester, str) else None), (names[0][:255] if names else None)


def _refuse_upload(local: bool) -> Any:
    if local:
        raise SynapseError(503, "The server could not check this upload right now; try again later.", Codes.UNKNOWN, {"org.matchdesk.retry": True})
    return Codes.FORBIDDEN
