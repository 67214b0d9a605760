"""EmbedForge training: ``embedforge train`` then ``eval`` on a GPU node, when data is ready.

Scheduled on the ``embedforge://pipeline/training-data`` dataset that ``embedforge_pipeline`` updates.
Both tasks run a configurable command (Variable ``embedforge_train_command``) on the Airflow
queue ``gpu`` (env ``EMBEDFORGE_GPU_QUEUE``), so a CeleryExecutor GPU worker, a ``kubectl`` or
``srun`` wrapper all fit. ``train`` and ``eval`` are not implemented yet: they skip unless a
run enables them (param or Variable ``embedforge_enabled_stages``).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow import DAG
from airflow.models.param import Param
from airflow.operators.python import PythonOperator

from embedforge_common import (
    DEFAULT_ARGS,
    SEED_DEFAULT,
    TRAINING_DATA,
    TRAINING_STAGES,
    EmbedForgeGpuStage,
)

GPU_QUEUE = os.environ.get("EMBEDFORGE_GPU_QUEUE", "gpu")


def _resolve_data(**context: Any) -> str:
    """The data to train on: params.data, else the triggering dataset event's output root."""
    data = context["params"].get("data")
    if data:
        return str(data)
    events = context.get("triggering_dataset_events") or context.get("triggering_asset_events")
    for event_list in (events or {}).values():
        for event in reversed(list(event_list)):
            out = (event.extra or {}).get("out")
            if out:
                return str(out)
    raise ValueError("no training data: set params.data or trigger from embedforge_pipeline")


with DAG(
    dag_id="embedforge_training",
    description="Train and evaluate the NV-Embed model on the published training data",
    schedule=[TRAINING_DATA],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["embedforge", "gpu"],
    params={
        "data": Param("", type="string", description="Data output root; default: dataset event"),
        "conf": Param("", type="string", description="Profile YAML; default: Variable"),
        "model_out": Param("", type="string", description="Model output; default: Variable"),
        "seed": Param(SEED_DEFAULT, type="integer", description="Seed of every random choice"),
        "stages": Param([], type="array", description="Stages to run (train, eval)"),
        "command": Param("", type="string", description="Command prefix; default: Variable"),
    },
    doc_md=__doc__,
) as dag:
    resolve = PythonOperator(task_id="resolve_data", python_callable=_resolve_data)
    tasks = {stage.name: EmbedForgeGpuStage(stage=stage, queue=GPU_QUEUE) for stage in TRAINING_STAGES}
    for stage in TRAINING_STAGES:
        if not stage.upstream:
            resolve >> tasks[stage.name]
        for upstream in stage.upstream:
            tasks[upstream] >> tasks[stage.name]
