"""Ready-made JSON pieces: geo, user agents, proxy, statuses and booleans, as dicts and bytes.

The byte forms are a dict's JSON without its braces (`"country":".ru",...`), to be spliced
into a record by `fast_path`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

import orchestration.generate.reference as ref
from orchestration.catalog import STATUSES
from orchestration.generate.constants import CHANNELS

CHANNEL_EMAIL = CHANNELS.index("email")
CHANNEL_PUSH = CHANNELS.index("push")

GEO_DICTS = [
    {
        "country": g.country, "city": g.city, "postal_code": g.postal_code, "region": g.region,
        "tz": g.tz, "lat": g.lat, "lon": g.lon,
    }
    for g in ref.GEOS
]  # fmt: skip
EMPTY_GEO = {"country": "", "city": "", "postal_code": "", "region": "", "tz": ""}
NO_GEO_EVERY = 53
"""One profile in 53 has an IP the geo database does not know: empty geo strings, no lat/lon."""
WEB_AGENT_DICTS = [
    {"user_agent": a.user_agent, "os": a.os, "browser": a.browser, "device": a.device}
    for a in ref.WEB_AGENTS
]
MOBILE_AGENTS = [i for i, a in enumerate(ref.WEB_AGENTS) if a.device == "mobile"]
APP_AGENT_DICTS = [
    {"user_agent": a.user_agent, "os": a.os, "browser": a.browser, "device": a.device}
    for a in ref.APP_AGENTS
]
PROXY_AGENT = {
    "user_agent": ref.PROXY_AGENT.user_agent, "os": ref.PROXY_AGENT.os,
    "browser": ref.PROXY_AGENT.browser, "device": ref.PROXY_AGENT.device,
}  # fmt: skip

PIXEL_GOAL_NAMES = [g for g, _ in ref.PIXEL_GOALS]
PIXEL_GOAL_CUM = np.cumsum([w for _, w in ref.PIXEL_GOALS]) / sum(w for _, w in ref.PIXEL_GOALS)


def _inner(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj)[1:-1]


GEO_B = [_inner(g) for g in GEO_DICTS]
EMPTY_GEO_B = _inner(EMPTY_GEO)
WEB_AGENT_B = [_inner(a) for a in WEB_AGENT_DICTS]
APP_AGENT_B = [_inner(a) for a in APP_AGENT_DICTS]
PROXY_AGENT_B = _inner(PROXY_AGENT)
PROXY_IP_B = ref.PROXY_IP_PREFIX.encode()
STATUS_B = [orjson.dumps(s) for s in STATUSES]
TF = (b"false", b"true")
"""JSON booleans, indexed by a bool or a 0/1 flag."""
NULL_TF = {None: b"null", False: b"false", True: b"true"}
