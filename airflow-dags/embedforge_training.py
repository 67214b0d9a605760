"""EmbedForge training: ``embedforge train``, ``export`` then ``eval`` on a GPU node, when data is ready.

Scheduled on the ``embedforge://pipeline/training-data`` dataset that ``embedforge_pipeline`` updates.
Graph: resolve_data -> train -> export -> eval. Each task runs a configurable command prefix
(Variable ``embedforge_train_command``; param ``command`` only when allow-listed) on the Airflow
queue ``gpu`` (env ``EMBEDFORGE_GPU_QUEUE``), so a CeleryExecutor GPU worker, a ``kubectl run`` or
``srun`` wrapper all fit; the command runs as an argument list, never through a shell:

- ``train --config <train config> --blend <data>/blend --run <model_out>/train --resume
  --device <device>``: ``--resume`` continues from the newest good checkpoint, so a retry of a
  killed or timed-out try does not start over;
- ``export --config <train config> --run <model_out>/train --out <model_out>/export``;
- ``eval --config <train config> --run <model_out>/train --eval <eval config>
  --out <model_out>/eval --device <device>``.

``<data>`` must be a path the training node reads as a local folder (a shared mount).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import embedforge_settings as settings

# Airflow's DAG discovery (safe mode) parses only files that mention "airflow" and "dag": the
# airflow imports are in embedforge_compat, so this comment keeps this file a DAG file.
from embedforge_compat import DAG, Param, PythonOperator
from embedforge_common import (
    DEFAULT_ARGS,
    TRAINING_DATA,
    TRAINING_STAGES,
    EmbedForgeGpuStage,
)

GPU_QUEUE = os.environ.get("EMBEDFORGE_GPU_QUEUE", "gpu")


def _resolve_data(**context: Any) -> str:
    """The data to train on: params.data, else the triggering dataset event's output root; either
    validated as a path, since an event's extra can come from anyone who may post dataset events."""
    data = context["params"].get("data")
    if data:
        return settings.path(data, "data", "param 'data'")
    events = context.get("triggering_dataset_events") or context.get("triggering_asset_events")
    for event_list in (events or {}).values():
        for event in reversed(list(event_list)):
            out = settings.dataset_out(event.extra)
            if out:
                return out
    raise ValueError("no training data: set params.data or trigger from embedforge_pipeline")


with DAG(
    dag_id="embedforge_training",
    description="Train, export and evaluate the NV-Embed model on the published training data",
    schedule=[TRAINING_DATA],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["embedforge", "gpu"],
    params={
        "data": settings.path_param("Data output root; default: dataset event"),
        "train_config": settings.path_param("Training YAML; default: Variable"),
        "eval_config": settings.path_param("Eval sets YAML; default: Variable"),
        "device": Param(
            "", type="string", pattern=settings.DEVICE_PARAM_PATTERN,
            description="cpu, gpu or gpu:N; default: Variable",
        ),
        "model_out": settings.path_param("Model output; default: <root>/<ts>"),
        "max_steps": Param(
            0, type="integer", minimum=0, description="Cap on updates per train try; 0: none"
        ),
        "stages": Param(
            [], type="array", description="Stages to run (train, export, eval); empty: all"
        ),
        "command": Param(
            "", type="string",
            description="Command prefix: one listed in Variable embedforge_train_command_allowlist;"
            " default: Variable embedforge_train_command",
        ),
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
