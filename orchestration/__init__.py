"""hookhouse: landing dumps -> bronze Parquet -> dbt on DuckDB, orchestrated by Dagster."""
