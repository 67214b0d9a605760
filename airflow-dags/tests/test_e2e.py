"""End to end: dag.test() of the data DAG, spark-submit from the pyspark distribution, local Spark.

Runs the stages that exist (today: ingest) of conf/local.yaml over test-data/ with the
-Pspark-submit jar; the others must skip, and publish must succeed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

JAR = Path(
    os.environ.get(
        "EMBEDFORGE_JAR",
        REPO_ROOT / "pipeline-jobs" / "target" / "pipeline-jobs-0.1.0-SNAPSHOT-spark-submit.jar",
    )
)
TABLES = ("retrieval", "queries", "corpus", "classification", "clustering", "sts", "rejects")


@pytest.fixture()
def local_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spark connection to local[2] whose spark-submit is the pyspark package's."""
    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", venv_bin + os.pathsep + os.environ.get("PATH", ""))
    conn = {"conn_type": "spark", "host": "local[2]", "extra": {"deploy-mode": "client"}}
    monkeypatch.setenv("AIRFLOW_CONN_EMBEDFORGE_LOCAL", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_SPARK_CONN_ID", "embedforge_local")


def test_data_dag_runs_ingest_under_spark_submit(
    airflow_db: Path, local_spark: None, tmp_path: Path
) -> None:
    from airflow.models import DagBag
    from airflow.utils.state import DagRunState, TaskInstanceState

    assert JAR.is_file(), f"build the jar first: mvn -B -q package -DskipTests -Pspark-submit ({JAR})"
    bag = DagBag(dag_folder=str(REPO_ROOT / "airflow-dags"), include_examples=False)
    dag = bag.dags["embedforge_pipeline"]
    out = tmp_path / "run"
    run = dag.test(
        run_conf={
            "conf": str(REPO_ROOT / "conf" / "local.yaml"),
            "out": str(out),
            "seed": 42,
            "jar": str(JAR),
            "spark_conf": {"spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "4"},
        }
    )
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["ingest"] == TaskInstanceState.SUCCESS, states
    for stage in ("decontaminate", "mine-dense", "mine-bm25", "label-negatives", "blend", "report"):
        assert states[stage] == TaskInstanceState.SKIPPED, states
    assert states["publish"] == TaskInstanceState.SUCCESS, states
    assert run.state == DagRunState.SUCCESS

    for table in TABLES:
        assert (out / "ingest" / table / "_SUCCESS").is_file(), table
        assert list((out / "ingest" / table).glob("*.parquet")), table
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 42
    assert "ingest" in json.dumps(manifest)
