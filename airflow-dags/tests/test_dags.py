"""The DAG files import cleanly and their task graphs are the documented ones."""

from __future__ import annotations

from conftest import asset_triggers, dagbag

DATA_EDGES = {
    ("ingest", "decontaminate"),
    ("decontaminate", "mine-dense"),
    ("decontaminate", "mine-bm25"),
    ("decontaminate", "label-negatives"),
    ("mine-dense", "blend"),
    ("mine-bm25", "blend"),
    ("label-negatives", "blend"),
    ("blend", "report"),
    ("report", "publish"),
}
TRAINING_EDGES = {("resolve_data", "train"), ("train", "export"), ("export", "eval")}
DATA_STAGES = ("ingest", "decontaminate", "mine-dense", "mine-bm25", "label-negatives", "blend", "report")


def _edges(dag) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


def test_dagbag_imports_without_errors() -> None:
    bag = dagbag()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"embedforge_pipeline", "embedforge_training"}


def test_data_dag_graph_is_the_documented_flow() -> None:
    dag = dagbag().dags["embedforge_pipeline"]
    assert _edges(dag) == DATA_EDGES
    stages = {t.task_id: t for t in dag.tasks if t.task_id != "publish"}
    for task in stages.values():
        assert task.retries == 2
        assert task.execution_timeout is not None
        assert task.trigger_rule == "none_failed"
        assert task.application_args[0] == task.task_id
    assert [o.uri for o in dag.get_task("publish").outlets] == ["embedforge://pipeline/training-data"]
    assert set(dag.params.keys()) >= {"conf", "out", "seed", "stages"}


def test_every_stage_runs_by_default() -> None:
    from embedforge_common import IMPLEMENTED, enabled_stages

    assert set(DATA_STAGES) <= IMPLEMENTED
    assert {"train", "export", "eval"} <= IMPLEMENTED
    assert enabled_stages({}) == IMPLEMENTED


def test_training_dag_waits_for_the_data_and_runs_train_export_eval() -> None:
    dag = dagbag().dags["embedforge_training"]
    assert _edges(dag) == TRAINING_EDGES
    assert asset_triggers(dag) == ["embedforge://pipeline/training-data"]
    for task_id in ("train", "export", "eval"):
        task = dag.get_task(task_id)
        assert task.queue == "gpu"
        assert task.retries == 2
        assert task.execution_timeout is not None
        assert task.trigger_rule == "none_failed"
    assert not hasattr(dag.get_task("train"), "bash_command"), "no shell between params and command"
    assert set(dag.params.keys()) >= {
        "data", "train_config", "eval_config", "device", "model_out", "command", "stages"
    }


def _xcoms(run) -> dict[str, str]:
    return {ti.task_id: ti.xcom_pull(task_ids=ti.task_id) for ti in run.get_task_instances()}


def test_training_dag_renders_the_cli_of_each_stage(airflow_db, tmp_path, monkeypatch) -> None:
    """`echo` as the command prefix: each task prints (and pushes) its command line."""
    from airflow.utils.state import DagRunState

    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_TRAIN_COMMAND", "echo embedforge")
    dag = dagbag().dags["embedforge_training"]
    run = dag.test(
        run_conf={
            "data": "/data/run1",
            "train_config": "/conf/train.yaml",
            "eval_config": "/conf/eval.yaml",
            "device": "gpu:1",
            "model_out": str(tmp_path / "model"),
        }
    )
    assert run.state == DagRunState.SUCCESS
    m = tmp_path / "model"
    assert _xcoms(run) == {
        "resolve_data": "/data/run1",
        "train": (
            f"embedforge train --config /conf/train.yaml --blend /data/run1/blend --run {m}/train"
            " --resume --device gpu:1"
        ),
        "export": f"embedforge export --config /conf/train.yaml --run {m}/train --out {m}/export",
        "eval": (
            f"embedforge eval --config /conf/train.yaml --run {m}/train --eval /conf/eval.yaml"
            f" --out {m}/eval --device gpu:1"
        ),
    }


def test_training_dag_defaults_and_disabled_stages(airflow_db, monkeypatch) -> None:
    """Variables fill what params leave empty; a stage left out of `stages` skips and does not
    block the ones after it (trigger rule none_failed)."""
    from airflow.utils.state import DagRunState, TaskInstanceState

    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_TRAIN_COMMAND", "echo ef")
    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_TRAIN_CONFIG", "/v/train.yaml")
    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_DEVICE", "gpu")
    monkeypatch.setenv("AIRFLOW_VAR_EMBEDFORGE_MODEL_ROOT", "/models")
    dag = dagbag().dags["embedforge_training"]
    run = dag.test(
        run_conf={"data": "/data/run2", "stages": ["train", "eval"], "max_steps": 3}
    )
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {
        "resolve_data": TaskInstanceState.SUCCESS,
        "train": TaskInstanceState.SUCCESS,
        "export": TaskInstanceState.SKIPPED,
        "eval": TaskInstanceState.SUCCESS,
    }
    assert run.state == DagRunState.SUCCESS
    train = _xcoms(run)["train"]
    assert train.startswith("ef train --config /v/train.yaml --blend /data/run2/blend --run /models/")
    assert train.endswith("/train --resume --device gpu --max-steps 3")
