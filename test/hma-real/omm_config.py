# OMM_CONFIG for the real HMA 1.1.7 the test harness starts (test/hma-real/harness.ts). Not product code.
#
# One file for every deployment the tests run; the harness picks the roles and the key with environment variables:
#   MATCHDESK_HMA_DATABASE_URI  postgresql+psycopg2://… (a throwaway PostgreSQL on 127.0.0.1)
#   MATCHDESK_HMA_ROLES         CSV of HASHER, MATCHER, CURATOR, CRON (like hma-matrix's HMA_WORKER_ROLE, but each
#                               role only switches itself on: a matcher-only worker is just MATCHER)
#   MATCHDESK_HMA_API_KEY       when set, every request but /status, /status/live and /site-map needs
#                               "Authorization: Bearer <key>", else 401 "Authentication required" (hma-matrix's hook,
#                               ../shared/docs/hma-api.md §1.3)
# Index intervals come as OMM_TASK_INDEXER_INTERVAL_SECONDS / OMM_TASK_INDEX_CACHE_INTERVAL_SECONDS (Flask's
# from_prefixed_env overrides this file).

import os

from flask import request

from OpenMediaMatch.storage.postgres.impl import DefaultOMMStore
from threatexchange.content_type.photo import PhotoContent
from threatexchange.content_type.video import VideoContent
from threatexchange.exchanges.impl.fb_threatexchange_api import FBThreatExchangeSignalExchangeAPI
from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI
from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

DATABASE_URI = os.environ["MATCHDESK_HMA_DATABASE_URI"]

_roles = {r.strip().upper() for r in os.environ.get("MATCHDESK_HMA_ROLES", "HASHER,MATCHER,CURATOR,CRON").split(",") if r.strip()}

PRODUCTION = True
UI_ENABLED = False
ROLE_HASHER = "HASHER" in _roles
ROLE_MATCHER = "MATCHER" in _roles
ROLE_CURATOR = "CURATOR" in _roles
TASK_FETCHER = False
TASK_INDEXER = "CRON" in _roles
TASK_INDEX_CACHE = ROLE_MATCHER

STORAGE_IFACE_INSTANCE = DefaultOMMStore(
    signal_types=[PdqSignal, VideoMD5Signal],
    content_types=[PhotoContent, VideoContent],
    exchange_types=[
        StaticSampleSignalExchangeAPI,
        FBThreatExchangeSignalExchangeAPI,
        NCMECSignalExchangeAPI,
        StopNCIISignalExchangeAPI,
    ],
)

_api_key = os.environ.get("MATCHDESK_HMA_API_KEY", "")
_open_paths = {"/site-map", "/status", "/status/live"}


def _require_key(app):
    if not _api_key:
        return

    @app.before_request
    def _check_bearer():
        if request.path in _open_paths:
            return None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] == _api_key:
            return None
        return "Authentication required", 401


APP_HOOK = _require_key
