"""Shared definitions of the EmbedForge DAGs: the stage list, Variables, defaults, operators.

A new pipeline stage is one line in ``DATA_STAGES`` (or ``TRAINING_STAGES``): its name is the
``embedforge`` subcommand, ``upstream`` the stages it reads. Until its subcommand exists it stays
out of ``IMPLEMENTED``: its task is in the graph but skips itself unless a run enables it. A run
can also narrow the stages it executes (param or Variable ``embedforge_enabled_stages``).

Settings resolve in one order: DAG run params (trigger conf) > Airflow Variable > default here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.exceptions import AirflowSkipException
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

try:  # Airflow 3 calls them assets; 2.x datasets.
    from airflow.sdk import Asset as DataAsset  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the installed Airflow
    from airflow.datasets import Dataset as DataAsset


@dataclass(frozen=True)
class Stage:
    """One task: ``embedforge <name>`` after ``upstream``, with its own timeout and Spark conf."""

    name: str
    upstream: tuple[str, ...] = ()
    timeout: timedelta = timedelta(hours=6)
    spark_conf: dict[str, str] = field(default_factory=dict)


# The data flow: ingest -> decontaminate -> {mine-dense, mine-bm25, label-negatives} -> blend
# -> report. Spark settings are per stage defaults for a cluster; docs/deploy.md explains them.
DATA_STAGES: tuple[Stage, ...] = (
    Stage("ingest", timeout=timedelta(hours=2)),
    Stage("decontaminate", ("ingest",), timedelta(hours=2)),
    Stage(
        "mine-dense",
        ("decontaminate",),
        timedelta(hours=12),
        # The DJL encoder runs its own intra-op threads: give each task all cores of an
        # executor so one model copy per executor uses them, and room for the model.
        {"spark.task.cpus": "4", "spark.executor.cores": "4", "spark.executor.memory": "12g"},
    ),
    Stage("mine-bm25", ("decontaminate",), timedelta(hours=6), {"spark.executor.memory": "8g"}),
    Stage("label-negatives", ("decontaminate",), timedelta(hours=2)),
    Stage("blend", ("mine-dense", "mine-bm25", "label-negatives"), timedelta(hours=2)),
    Stage("report", ("blend",), timedelta(hours=1)),
)

# Training on a GPU node, after the data DAG published its output: train, then export the newest
# good checkpoint, then evaluate it.
TRAINING_STAGES: tuple[Stage, ...] = (
    Stage("train", timeout=timedelta(hours=48)),
    Stage("export", ("train",), timedelta(hours=1)),
    Stage("eval", ("export",), timedelta(hours=4)),
)

# Subcommands of the jar the DAGs run by default; others skip unless a run enables them.
# `eval` is the interface of the eval branch (`eval --config --run --eval --out --device`).
IMPLEMENTED: frozenset[str] = frozenset(
    {stage.name for stage in DATA_STAGES} | {stage.name for stage in TRAINING_STAGES}
)

MAIN_CLASS = "io.embedforge.pipeline.cli.EmbedForge"
REPO_ROOT = Path(__file__).resolve().parent.parent

# Airflow Variables (set in the UI, `airflow variables set`, or AIRFLOW_VAR_<NAME> env vars).
VAR_JAR = "embedforge_jar"  # the -Pspark-submit jar, any URI spark-submit accepts
VAR_CONN_ID = "embedforge_spark_conn_id"  # Airflow connection of type spark
VAR_CONF = "embedforge_conf"  # profile YAML on the Airflow worker (client deploy mode)
VAR_OUT_ROOT = "embedforge_out_root"  # output root; each run writes <root>/<ts_nodash>
VAR_STAGES = "embedforge_enabled_stages"  # JSON list of stages to run
VAR_SPARK_CONF = "embedforge_spark_conf"  # JSON object of extra --conf for every stage
VAR_TRAIN_COMMAND = "embedforge_train_command"  # command prefix of training stages
VAR_MODEL_ROOT = "embedforge_model_root"  # where training writes models
VAR_TRAIN_CONFIG = "embedforge_train_config"  # training config YAML (train, export, eval)
VAR_EVAL_CONFIG = "embedforge_eval_config"  # eval sets YAML
VAR_DEVICE = "embedforge_device"  # cpu, gpu or gpu:N

JAR_DEFAULT = str(
    REPO_ROOT / "pipeline-jobs" / "target" / "pipeline-jobs-0.1.0-SNAPSHOT-spark-submit.jar"
)
CONN_ID_DEFAULT = "spark_default"
CONF_DEFAULT = str(REPO_ROOT / "conf" / "local.yaml")
OUT_ROOT_DEFAULT = "/tmp/embedforge"
SEED_DEFAULT = 42
TRAIN_COMMAND_DEFAULT = str(REPO_ROOT / "bin" / "embedforge")
MODEL_ROOT_DEFAULT = "/tmp/embedforge-models"
TRAIN_CONFIG_DEFAULT = str(REPO_ROOT / "conf" / "train-tiny.yaml")
EVAL_CONFIG_DEFAULT = str(REPO_ROOT / "conf" / "eval-demo.yaml")
DEVICE_DEFAULT = "cpu"  # the demo default, like the configs; a GPU worker sets "gpu"

# This run's output root: params.out, else <Variable out root>/<logical timestamp>. Hadoop paths
# cannot hold ':', so the run id is not used.
OUT_TEMPLATE = "{{ params.out or (var.value.get('%s', '%s') ~ '/' ~ ts_nodash) }}" % (
    VAR_OUT_ROOT,
    OUT_ROOT_DEFAULT,
)

# A training run's model folder: params.model_out, else <Variable model root>/<logical timestamp>.
# The same for every try of a task, so a retried `train --resume` finds its checkpoints.
MODEL_OUT_TEMPLATE = "{{ params.model_out or (var.value.get('%s', '%s') ~ '/' ~ ts_nodash) }}" % (
    VAR_MODEL_ROOT,
    MODEL_ROOT_DEFAULT,
)


def _param_or_var(param: str, var: str, default: str) -> str:
    return "{{ params.%s or var.value.get('%s', '%s') }}" % (param, var, default)


TRAIN_CONFIG_TEMPLATE = _param_or_var("train_config", VAR_TRAIN_CONFIG, TRAIN_CONFIG_DEFAULT)
EVAL_CONFIG_TEMPLATE = _param_or_var("eval_config", VAR_EVAL_CONFIG, EVAL_CONFIG_DEFAULT)
DEVICE_TEMPLATE = _param_or_var("device", VAR_DEVICE, DEVICE_DEFAULT)
TRAIN_COMMAND_TEMPLATE = _param_or_var("command", VAR_TRAIN_COMMAND, TRAIN_COMMAND_DEFAULT)
DATA_TEMPLATE = "{{ ti.xcom_pull(task_ids='resolve_data') }}"

# The arguments of each training stage after its subcommand (see `embedforge <stage> --help`).
# train: --resume continues from the newest good checkpoint, so an Airflow retry (or a re-run of
# the task) picks up where the killed try stopped; params.max_steps > 0 caps the updates of a try.
TRAINING_ARGS: dict[str, str] = {
    "train": (
        f"--config {TRAIN_CONFIG_TEMPLATE} --blend {DATA_TEMPLATE}/blend"
        f" --run {MODEL_OUT_TEMPLATE}/train --resume --device {DEVICE_TEMPLATE}"
        "{{ (' --max-steps ' ~ params.max_steps) if params.max_steps else '' }}"
    ),
    "export": (
        f"--config {TRAIN_CONFIG_TEMPLATE} --run {MODEL_OUT_TEMPLATE}/train"
        f" --out {MODEL_OUT_TEMPLATE}/export"
    ),
    "eval": (
        f"--config {TRAIN_CONFIG_TEMPLATE} --run {MODEL_OUT_TEMPLATE}/train"
        f" --eval {EVAL_CONFIG_TEMPLATE} --out {MODEL_OUT_TEMPLATE}/eval --device {DEVICE_TEMPLATE}"
    ),
}

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "embedforge",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
}

# The dataset the data DAG updates when its last task succeeds; the training DAG waits on it.
TRAINING_DATA = DataAsset("embedforge://pipeline/training-data")


def setting(name: str, default: Any, deserialize_json: bool = False) -> Any:
    """An Airflow Variable, or ``default`` when it is not set."""
    return Variable.get(name, default_var=default, deserialize_json=deserialize_json)


def enabled_stages(params: dict[str, Any]) -> set[str]:
    """The stages this run executes: params["stages"] > Variable > ``IMPLEMENTED``."""
    stages = params.get("stages")
    if not stages:
        stages = setting(VAR_STAGES, None, deserialize_json=True)
    if not stages:
        return set(IMPLEMENTED)
    if isinstance(stages, str):
        stages = json.loads(stages)
    return set(stages)


def skip_unless_enabled(stage: str, context: Any) -> None:
    """Raises AirflowSkipException when ``stage`` is not enabled for this run."""
    enabled = enabled_stages(dict(context["params"]))
    if stage not in enabled:
        state = "not implemented yet" if stage not in IMPLEMENTED else "disabled"
        raise AirflowSkipException(f"stage {stage} is {state}; enabled: {sorted(enabled)}")


class EmbedForgeSparkStage(SparkSubmitOperator):
    """``spark-submit <jar> <stage> --conf .. --out .. --seed ..``; skips disabled stages.

    The connection id and extra Spark conf resolve at run time (Variables), so a deployment
    changes them without editing the DAG file.
    """

    def __init__(self, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(
            task_id=stage.name,
            application=(
                "{{ params.jar or var.value.get('%s', '%s') }}" % (VAR_JAR, JAR_DEFAULT)
            ),
            java_class=MAIN_CLASS,
            name=f"embedforge-{stage.name}",
            application_args=[
                stage.name,
                "--conf",
                "{{ params.conf or var.value.get('%s', '%s') }}" % (VAR_CONF, CONF_DEFAULT),
                "--out",
                OUT_TEMPLATE,
                "--seed",
                "{{ params.seed }}",
            ],
            execution_timeout=stage.timeout,
            trigger_rule="none_failed",
            **kwargs,
        )
        self.stage = stage

    def execute(self, context: Any) -> None:
        skip_unless_enabled(self.stage.name, context)
        self._conn_id = setting(VAR_CONN_ID, CONN_ID_DEFAULT)
        conf: dict[str, Any] = dict(self.stage.spark_conf)
        conf.update(setting(VAR_SPARK_CONF, {}, deserialize_json=True))
        conf.update(context["params"].get("spark_conf") or {})
        self.conf = {k: str(v) for k, v in conf.items()} or None
        super().execute(context)


class EmbedForgeGpuStage(BashOperator):
    """``<train command> <stage> <TRAINING_ARGS[stage]>`` on the GPU queue; skips disabled stages.

    The command prefix is a param or Variable: ``bin/embedforge`` on a GPU worker, or a wrapper
    such as ``srun --gres=gpu:1 embedforge`` or a ``kubectl run`` script (docs/deploy.md).
    """

    def __init__(self, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(
            task_id=stage.name,
            bash_command=f"{TRAIN_COMMAND_TEMPLATE} {stage.name} {TRAINING_ARGS[stage.name]}",
            execution_timeout=stage.timeout,
            trigger_rule="none_failed",
            **kwargs,
        )
        self.stage = stage

    def execute(self, context: Any) -> Any:
        skip_unless_enabled(self.stage.name, context)
        return super().execute(context)
