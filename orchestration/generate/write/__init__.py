"""Writing a serialized day as landing files, with duplicates, late and malformed records.

`day_writer` (one day's writer) draws the defects (`defect_plan`, `defects`) and sends each
record to its stream (`streams`: NDJSON files or HTTP batch bodies, written through
`outfile`); `side_files` holds re-delivery and lag/retry files, `truncate` the gzip file cut
short. `layout` names the streams, folders and files, `result` counts what was written.
"""
