"""The data DAG's stages are the pipeline's stage registry.

`embedforge stages --json` prints the registry the jar runs (io.embedforge.pipeline.stage.StageId):
each stage's name (the subcommand and output folder), the stages whose output it reads, and
`after`, the stages it must run after (the transitive reduction of its reads). DATA_STAGES in
embedforge_common.py must list the same stages in the same order with `upstream` equal to `after`,
and the DAG's edges must be those, so a stage added, renamed or rewired in the registry fails here
until the DAG follows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DAGS_DIR, REPO_ROOT, dagbag

JAR = Path(
    os.environ.get(
        "EMBEDFORGE_JAR",
        REPO_ROOT / "pipeline-jobs" / "target" / "pipeline-jobs-0.1.0-SNAPSHOT-spark-submit.jar",
    )
)
MAIN_CLASS = "io.embedforge.pipeline.cli.EmbedForge"


@pytest.fixture(scope="module")
def registry() -> list[dict]:
    """`embedforge stages --json` of the spark-submit jar, run by the venv's spark-submit."""
    assert JAR.is_file(), f"build the jar first: mvn -B -q package -DskipTests -Pspark-submit ({JAR})"
    venv_bin = str(Path(sys.executable).parent)
    submit = shutil.which("spark-submit", path=venv_bin) or shutil.which("spark-submit")
    assert submit, "spark-submit not found (pyspark is in airflow-dags/requirements.txt)"
    # pyspark's spark-submit finds its SPARK_HOME with the python of the venv it belongs to
    env = dict(os.environ, PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(
        [submit, "--master", "local[1]", "--class", MAIN_CLASS, str(JAR), "stages", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout[result.stdout.index("[") :])


def test_data_stages_are_the_registry_in_order(registry: list[dict]) -> None:
    from embedforge_common import DATA_STAGES

    assert [s.name for s in DATA_STAGES] == [e["name"] for e in registry]
    for stage, entry in zip(DATA_STAGES, registry):
        assert list(stage.upstream) == entry["after"], stage.name


def test_data_dag_edges_are_the_registry_dependencies(registry: list[dict]) -> None:
    dag = dagbag().dags["embedforge_pipeline"]
    edges = {
        (t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids if d != "publish"
    }
    assert edges == {(up, e["name"]) for e in registry for up in e["after"]}
    for entry in registry:
        assert set(entry["after"]) <= set(entry["reads"]), entry["name"]
