"""Hostile run settings against both DAGs, in real Airflow: nothing but the intended command runs.

The commands are stand-ins that record their argument list: the training command prefix is a
Python script (set through the Variable, as a deployment does), and ``spark-submit`` is the same
script first on the PATH. Every hostile value carries a shell payload that would create a marker
file if any shell evaluated it; the tests assert the marker never appears and the stand-ins ran
exactly the intended argument lists, or not at all.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import dagbag

RECORDER = "import json, sys\nwith open(sys.argv[1], 'a') as f:\n    f.write(json.dumps(sys.argv[2:]) + '\\n')\n"

# Payloads in every style a shell would run: separators, substitutions, line breaks, quotes.
HOSTILE = (
    "cpu; touch {m} #",
    "$(touch {m})",
    "`touch {m}`",
    "cpu\ntouch {m}",
    "cpu' ; touch {m} ; '",
    'cpu" ; touch {m} ; "',
    "cpu && touch {m}",
    "cpu | touch {m}",
    "/data/x > {m}",
    "--device=cpu",
)
TRAINING_PATH_PARAMS = ("data", "train_config", "eval_config", "model_out")


@pytest.fixture
def recorder(tmp_path: Path) -> dict[str, Path]:
    """A command that appends its argv to a log; the marker a shell payload would create."""
    script = tmp_path / "record.py"
    script.write_text(RECORDER, encoding="utf-8")
    return {"script": script, "log": tmp_path / "argv.jsonl", "marker": tmp_path / "pwned"}


def _recorded(rec: dict[str, Path]) -> list[list[str]]:
    if not rec["log"].exists():
        return []
    return [json.loads(line) for line in rec["log"].read_text(encoding="utf-8").splitlines()]


def _dag(dag_id: str):
    dag = dagbag().dags[dag_id]
    for task in dag.tasks:
        task.retries = 0
    return dag


def _states(run) -> dict[str, Any]:
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def _trigger(dag, conf: dict[str, Any]):
    """dag.test(); None when the trigger itself was refused (the params' schema)."""
    from airflow.exceptions import ParamValidationError

    try:
        return dag.test(run_conf=conf)
    except ParamValidationError:
        return None


def _train_command(monkeypatch, rec: dict[str, Path], extra: str = "") -> None:
    monkeypatch.setenv(
        "AIRFLOW_VAR_EMBEDFORGE_TRAIN_COMMAND",
        f"{sys.executable} {rec['script']} {rec['log']}{extra}",
    )


@pytest.mark.parametrize("param", ("device", *TRAINING_PATH_PARAMS))
def test_hostile_training_params_are_refused_and_run_nothing(
    airflow_db, monkeypatch, recorder, param
) -> None:
    """Each hostile value of each param: the trigger is refused (the Params' patterns) or the
    task fails before running anything; no marker, no command recorded."""
    from airflow.utils.state import TaskInstanceState

    _train_command(monkeypatch, recorder)
    dag = _dag("embedforge_training")
    for payload in HOSTILE:
        value = payload.format(m=recorder["marker"])
        conf = {"data": "/data/run1", "stages": ["train"], param: value}
        run = _trigger(dag, conf)
        if run is not None:
            assert _states(run)["train"] != TaskInstanceState.SUCCESS, (param, value)
        assert not recorder["marker"].exists(), (param, value)
        assert _recorded(recorder) == [], (param, value)


@pytest.mark.parametrize("param", ("device", *TRAINING_PATH_PARAMS))
def test_runtime_validation_names_the_bad_setting(param, tmp_path) -> None:
    """Behind the trigger form, the task validates every value itself (params that skipped the
    form, Variables, dataset events): the message names setting and value."""
    from embedforge_common import training_arguments
    from embedforge_compat import AirflowFailException

    class Ti:
        def xcom_pull(self, task_ids: str) -> str:
            return value if param == "data" else "/data/run1"

    for payload in HOSTILE:
        value = payload.format(m=tmp_path / "pwned")
        params = {} if param == "data" else {param: value}
        context = {"params": params, "ti": Ti(), "ts_nodash": "20260101T000000"}
        stage = "eval" if param == "eval_config" else "train"
        with pytest.raises(AirflowFailException) as refused:
            training_arguments(stage, context)
        message = str(refused.value)
        assert repr(value) in message and "nothing was run" in message, message


def test_hostile_variables_fail_the_task_before_it_runs(airflow_db, monkeypatch, recorder) -> None:
    """Variables are validated too: a bad one fails the task, naming the Variable."""
    from airflow.utils.state import TaskInstanceState

    _train_command(monkeypatch, recorder)
    marker = recorder["marker"]
    for var, value in (
        ("EMBEDFORGE_DEVICE", f"gpu; touch {marker}"),
        ("EMBEDFORGE_TRAIN_CONFIG", f"/conf/x.yaml $(touch {marker})"),
        ("EMBEDFORGE_MODEL_ROOT", f"/models`touch {marker}`"),
    ):
        with monkeypatch.context() as m:
            m.setenv(f"AIRFLOW_VAR_{var}", value)
            run = _dag("embedforge_training").test(
                run_conf={"data": "/data/run1", "stages": ["train"]}
            )
        assert _states(run)["train"] == TaskInstanceState.FAILED, var
        assert not marker.exists() and _recorded(recorder) == [], var


def test_a_dataset_event_with_a_hostile_output_root_is_refused(tmp_path) -> None:
    """The data DAG's output root reaches the training DAG in a dataset event's extra, which
    anyone allowed to post dataset events can write: resolve_data validates it."""
    from embedforge_compat import AirflowFailException
    from embedforge_training import _resolve_data

    class Event:
        def __init__(self, extra: dict[str, Any]) -> None:
            self.extra = extra

    good = {"embedforge://pipeline/training-data": [Event({"out": "hdfs:///runs/run1"})]}
    assert _resolve_data(params={}, triggering_dataset_events=good) == "hdfs:///runs/run1"
    for payload in HOSTILE:
        events = {"x": [Event({"out": payload.format(m=tmp_path / "pwned")})]}
        with pytest.raises(AirflowFailException):
            _resolve_data(params={}, triggering_dataset_events=events)


def test_a_valid_run_runs_exactly_the_intended_argument_lists(
    airflow_db, monkeypatch, recorder, tmp_path
) -> None:
    """No shell anywhere: even a Variable's prefix holding `$(...)` is passed on as words."""
    from airflow.utils.state import DagRunState

    _train_command(monkeypatch, recorder, f" $(touch {recorder['marker']})")
    model = tmp_path / "model"
    run = _dag("embedforge_training").test(
        run_conf={
            "data": "/data/run1",
            "train_config": "/conf/train.yaml",
            "eval_config": "hdfs:///conf/eval.yaml",
            "device": "gpu:1",
            "model_out": str(model),
            "max_steps": 3,
        }
    )
    assert run.state == DagRunState.SUCCESS
    substitution = ["$(touch", f"{recorder['marker']})"]
    assert _recorded(recorder) == [
        [*substitution, "train", "--config", "/conf/train.yaml", "--blend", "/data/run1/blend",
         "--run", f"{model}/train", "--resume", "--device", "gpu:1", "--max-steps", "3"],
        [*substitution, "export", "--config", "/conf/train.yaml", "--run", f"{model}/train",
         "--out", f"{model}/export"],
        [*substitution, "eval", "--config", "/conf/train.yaml", "--run", f"{model}/train",
         "--eval", "hdfs:///conf/eval.yaml", "--out", f"{model}/eval", "--device", "gpu:1"],
    ]
    assert not recorder["marker"].exists()


def test_the_command_param_only_picks_an_allow_listed_prefix(
    airflow_db, monkeypatch, recorder
) -> None:
    """params.command chooses the code that runs: refused unless an admin allow-listed it."""
    from airflow.utils.state import TaskInstanceState

    _train_command(monkeypatch, recorder)
    other = f"{sys.executable} {recorder['script']} {recorder['log']} chosen"
    conf = {"data": "/data/run1", "stages": ["train"], "command": other}
    run = _dag("embedforge_training").test(run_conf=conf)
    assert _states(run)["train"] == TaskInstanceState.FAILED
    assert _recorded(recorder) == []

    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_TRAIN_COMMAND_ALLOWLIST", json.dumps([other]))
    run = _dag("embedforge_training").test(run_conf=conf)
    assert _states(run)["train"] == TaskInstanceState.SUCCESS
    assert [argv[:2] for argv in _recorded(recorder)] == [["chosen", "train"]]


@pytest.fixture
def spark_submit(monkeypatch, recorder, tmp_path) -> dict[str, Path]:
    """`spark-submit` first on the PATH is the recorder; a Spark connection to local[1]."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "spark-submit"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.argv.insert(1, {str(recorder['log'])!r})\n"
        + RECORDER,
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AIRFLOW_CONN_EMBEDFORGE_FAKE", json.dumps({"conn_type": "spark", "host": "local[1]"}))
    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_SPARK_CONN_ID", "embedforge_fake")
    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_JAR", "/opt/embedforge/pipeline.jar")
    return recorder


def _ingest(conf: dict[str, Any]):
    run = _trigger(_dag("embedforge_pipeline"), {"stages": ["ingest"], **conf})
    return None if run is None else _states(run)["ingest"]


def test_hostile_pipeline_settings_run_nothing(airflow_db, monkeypatch, spark_submit) -> None:
    """Profile and output root (params or Variables), the jar and Spark conf: refused before
    spark-submit starts."""
    from airflow.utils.state import TaskInstanceState

    marker = spark_submit["marker"]
    for payload in HOSTILE:
        value = payload.format(m=marker)
        for param in ("conf", "out"):
            assert _ingest({param: value}) in (None, TaskInstanceState.FAILED), (param, value)
    with monkeypatch.context() as m:
        m.setenv("AIRFLOW_VAR_EMBEDFORGE_OUT_ROOT", f"/runs; touch {marker}")
        assert _ingest({}) == TaskInstanceState.FAILED
    with monkeypatch.context() as m:
        m.setenv("AIRFLOW_VAR_EMBEDFORGE_CONF", f"/conf/$(touch {marker}).yaml")
        assert _ingest({"out": "/runs/1"}) == TaskInstanceState.FAILED
    assert _ingest({"out": "/runs/1", "jar": "/tmp/evil.jar"}) == TaskInstanceState.FAILED
    java_options = {"spark.driver.extraJavaOptions": "-javaagent:/tmp/evil.jar"}
    assert _ingest({"out": "/runs/1", "spark_conf": java_options}) == TaskInstanceState.FAILED
    assert _ingest({"out": "/runs/1", "spark_conf": {"spark.driver.memory": "2g; id"}}) == (
        TaskInstanceState.FAILED
    )
    assert not marker.exists()
    assert _recorded(spark_submit) == []


def test_a_valid_pipeline_stage_submits_exactly_the_intended_command(
    airflow_db, monkeypatch, spark_submit
) -> None:
    from airflow.utils.state import TaskInstanceState

    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_JAR_ALLOWLIST", json.dumps(["/opt/other.jar"]))
    state = _ingest(
        {
            "conf": "/opt/embedforge/conf/full.yaml",
            "out": "hdfs:///embedforge/run1",
            "seed": 7,
            "jar": "/opt/other.jar",
            "spark_conf": {"spark.driver.memory": "2g"},
        }
    )
    assert state == TaskInstanceState.SUCCESS
    [argv] = _recorded(spark_submit)
    assert argv[:2] == ["--master", "local[1]"]
    assert "spark.driver.memory=2g" in argv
    assert argv[argv.index("/opt/other.jar"):] == [
        "/opt/other.jar", "ingest", "--conf", "/opt/embedforge/conf/full.yaml",
        "--out", "hdfs:///embedforge/run1", "--seed", "7",
    ]
