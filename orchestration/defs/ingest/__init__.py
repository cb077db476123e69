"""The ingest step in Dagster: landing files to the bronze tables, and its data-quality checks."""
