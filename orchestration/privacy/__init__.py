"""Personal data: erasing a person (`hookhouse forget`), and hashing it in core.

`keys` (the HMAC key, kept outside the repository), `identifiers` (what names a person and
how a record is matched to them by keyed hash), `erasure_schema` and `erasures` (the audit
table, bronze/erasures, and the set the ingest drops), `forget` (rewriting bronze without
the person's records), `command` (the subcommand), `dbt_plugin` (the hash functions of
dbt's DuckDB connection, for HOOKHOUSE_HASH_PERSONAL_DATA=1).
"""
