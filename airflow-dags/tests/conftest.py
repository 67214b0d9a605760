"""Test setup: a throw-away AIRFLOW_HOME with a SQLite metadata DB, set before Airflow loads."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DAGS_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = DAGS_DIR.parent

_home = Path(tempfile.mkdtemp(prefix="embedforge-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_home)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_home}/airflow.db"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
sys.path.insert(0, str(DAGS_DIR))

import pytest  # noqa: E402

from embedforge_compat import AIRFLOW_3  # noqa: E402


def dagbag():
    """A DagBag of the DAGs folder, without Airflow's examples (2.x takes ``include_examples``;
    3.x moved DagBag to ``airflow.dag_processing`` and reads ``core.load_examples``, set above)."""
    if AIRFLOW_3:
        from airflow.dag_processing.dagbag import DagBag

        return DagBag(dag_folder=str(DAGS_DIR))
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS_DIR), include_examples=False)


def asset_triggers(dag) -> list[str]:
    """The URIs of the assets (2.x: datasets) that schedule ``dag``."""
    if AIRFLOW_3:
        return [asset.uri for asset in dag.timetable.asset_condition.objects]
    return [uri for uri, _ in dag.timetable.dataset_condition.iter_datasets()]


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Creates the metadata DB once per test session (dag.test() records its runs there)."""
    from airflow.utils import db

    db.initdb()
    return _home


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: end-to-end runs of several minutes (bin/test-all runs them; -m 'not slow' skips)",
    )
