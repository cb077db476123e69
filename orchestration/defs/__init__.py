"""Everything of hookhouse that imports Dagster: the definitions (`definitions.py`, which
`workspace.yaml` and `dg` load), the ingest assets and checks (`ingest/`), the dbt project as
assets (`dbt/`), schedules, sensors, resources and the instance. The domain code they call
(`orchestration.ingest`, `orchestration.warehouse`, ...) imports no Dagster.

Importing this package does nothing; `definitions.py` assembles the pieces."""
