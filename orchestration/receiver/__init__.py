"""The hook receiver: `hookhouse serve` (HTTP batches) and `hookhouse consume rabbitmq`.

Both write what they receive through one group-commit writer (`landing_writer`) into
`$HOOKHOUSE_HOME/landing/receiver/`, the folder the ingest already reads, and acknowledge a
hook only once it is durably there. Bodies that are not JSON are kept whole in
`$HOOKHOUSE_HOME/quarantine/` (`quarantine`). Nothing here judges a record: invalid records
land, and the ingest rejects them with its reasons.
"""
