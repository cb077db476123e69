"""The warehouse file and what hookhouse keeps in it beside the models: the one-writer lock,
the build state (which bronze batches and event days the models were built from), and the
tables' row counts and summaries. No Dagster here; `orchestration/defs/` uses these."""
