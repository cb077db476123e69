"""The dbt project in Dagster (dagster-dbt): the project and its manifest (`project.py`), how
its nodes become assets (`translator.py`, `partitions.py`), the two build steps (`assets.py`),
their options (`config.py`), one `dbt build` (`invocation.py`), the hand-off that lets one
invocation build both steps (`handoff.py`), the metadata added to materializations
(`metadata.py`) and the failure report (`failures.py`)."""
