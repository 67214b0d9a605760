"""EmbedForge data pipeline: one spark-submit task per stage, then publish the training data.

Graph (docs/deploy.md): ingest -> decontaminate -> {mine-dense, mine-bm25, label-negatives}
-> blend -> report -> publish. Every stage runs by default; a run can narrow them (param
``stages``, else Variable ``embedforge_enabled_stages``), the others skip themselves. Every stage
runs when no upstream failed, so a skipped stage does not block the ones after it (it re-uses
the committed output of an earlier run under the same ``out``). ``publish`` updates the ``embedforge://pipeline/training-data``
dataset, which triggers the ``embedforge_training`` DAG.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import embedforge_settings as settings

# Airflow's DAG discovery (safe mode) parses only files that mention "airflow" and "dag": the
# airflow imports are in embedforge_compat, so this comment keeps this file a DAG file.
from embedforge_compat import DAG, Param, PythonOperator
from embedforge_common import (
    DATA_STAGES,
    DEFAULT_ARGS,
    OUT_TEMPLATE,
    SEED_DEFAULT,
    TRAINING_DATA,
    EmbedForgeSparkStage,
)


def _publish(out: str, **context: Any) -> str:
    """Records the output root on the dataset event, for the training DAG (validated: the
    training DAG builds its command lines from it)."""
    out = settings.out_path(out)
    events = context.get("outlet_events")
    if events is not None:
        events[TRAINING_DATA].extra = {"out": out}
    return out


with DAG(
    dag_id="embedforge_pipeline",
    description="Public datasets -> canonical tables -> mined negatives -> blended training data",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["embedforge", "spark"],
    params={
        "conf": settings.path_param("Profile YAML; default: Variable"),
        "out": settings.path_param("Output URI; default: <root>/<ts>"),
        "seed": Param(SEED_DEFAULT, type="integer", description="Seed of every random choice"),
        "stages": Param(
            [], type="array", description="Stages to run; empty: Variable, else all"
        ),
        "jar": Param(
            "", type="string",
            description="spark-submit jar: one listed in Variable embedforge_jar_allowlist;"
            " default: Variable embedforge_jar",
        ),
        "spark_conf": Param(
            {}, type="object",
            description="Extra Spark conf for every stage: resource keys only (Variable"
            " embedforge_spark_conf_param_keys); the rest belongs in Variable embedforge_spark_conf",
        ),
    },
    doc_md=__doc__,
) as dag:
    tasks = {stage.name: EmbedForgeSparkStage(stage=stage) for stage in DATA_STAGES}
    for stage in DATA_STAGES:
        for upstream in stage.upstream:
            tasks[upstream] >> tasks[stage.name]
    sinks = [t for name, t in tasks.items() if not t.downstream_task_ids]
    publish = PythonOperator(
        task_id="publish",
        python_callable=_publish,
        op_kwargs={"out": OUT_TEMPLATE},
        outlets=[TRAINING_DATA],
        trigger_rule="none_failed",
    )
    sinks >> publish
