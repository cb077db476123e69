"""The hook envelope of each producer (hook-message-format section 1.1): key order, options.

| producer | key order | unknown optional keys | event_date | `subscription` |
|---|---|---|---|---|
| kafka (account 23) | docs order | absent | ns, Go style, `Z` | yes |
| rmq (account 161) | sorted | `null` | as kafka; 30 % with `+03:00`/`+05:00` | yes |
| http (account 1042) | docs' batch example | absent | microseconds, `Z` | no (v73) |

Go style: RFC3339Nano, trailing zeros of the fraction dropped.
"""

from __future__ import annotations

import orjson

HTTP_ORDER = (
    "event_type", "list_id", "account_id", "_xxh", "_md5", "event_data", "event_date",
    "custom_data", "profile_id", "is_test", "is_static", "subscription_hash_id",
    "sends_trying_num", "subscription",
)  # fmt: skip
"""Key order of the http producer (the docs' batch example)."""

PRODUCER_OPTION = {"kafka": 0, "rmq": orjson.OPT_SORT_KEYS, "http": 0}
"""orjson options of each producer's records (rmq sorts its keys)."""
