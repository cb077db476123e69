"""Turning a planned day (integer columns) into hook messages: JSON objects, serialized.

`serializer` (sort a day, format its dates, yield one record's bytes at a time) uses two
paths that give the same JSON: `fast_path` (cached byte fragments, for the common case) and
`envelope` (a dict and orjson, for the rest). The event_data of message events comes from
`message_data`, that of the other families from `family_data`. `producers` holds each
producer's key order and JSON options, `kinds` how each event type is serialized, `lookups`
the world as plain lists and the per-profile cached fragments, `pieces` ready-made JSON
pieces (geo, agents, booleans), `dates` the RFC 3339 strings.
"""
