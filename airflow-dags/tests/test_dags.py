"""The DAG files import cleanly and their task graphs are the documented ones."""

from __future__ import annotations

from airflow.models import DagBag

from conftest import DAGS_DIR

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
TRAINING_EDGES = {("resolve_data", "train"), ("train", "eval")}


def _dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS_DIR), include_examples=False)


def _edges(dag) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


def test_dagbag_imports_without_errors() -> None:
    bag = _dagbag()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"embedforge_pipeline", "embedforge_training"}


def test_data_dag_graph_is_the_documented_flow() -> None:
    dag = _dagbag().dags["embedforge_pipeline"]
    assert _edges(dag) == DATA_EDGES
    stages = {t.task_id: t for t in dag.tasks if t.task_id != "publish"}
    for task in stages.values():
        assert task.retries == 2
        assert task.execution_timeout is not None
        assert task.trigger_rule == "none_failed"
        assert task.application_args[0] == task.task_id
    assert [o.uri for o in dag.get_task("publish").outlets] == ["embedforge://pipeline/training-data"]
    assert set(dag.params.keys()) >= {"conf", "out", "seed", "stages"}


def test_training_dag_waits_for_the_data_and_runs_train_then_eval() -> None:
    dag = _dagbag().dags["embedforge_training"]
    assert _edges(dag) == TRAINING_EDGES
    triggers = [uri for uri, _ in dag.timetable.dataset_condition.iter_datasets()]
    assert triggers == ["embedforge://pipeline/training-data"]
    assert dag.get_task("train").queue == "gpu"
    assert "train --conf" in dag.get_task("train").bash_command


def test_training_dag_run_skips_stages_that_do_not_exist_yet(airflow_db) -> None:
    from airflow.utils.state import DagRunState, TaskInstanceState

    dag = _dagbag().dags["embedforge_training"]
    run = dag.test(run_conf={"data": "/tmp/embedforge/run1"})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {
        "resolve_data": TaskInstanceState.SUCCESS,
        "train": TaskInstanceState.SKIPPED,
        "eval": TaskInstanceState.SKIPPED,
    }
    assert run.state == DagRunState.SUCCESS
