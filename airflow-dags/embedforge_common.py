"""Shared definitions of the EmbedForge DAGs: the stage list, Variables, defaults, operators.

A new pipeline stage is one line in ``DATA_STAGES`` (or ``TRAINING_STAGES``): its name is the
``embedforge`` subcommand, ``upstream`` the stages it reads. Until its subcommand exists it stays
out of ``IMPLEMENTED``: its task is in the graph but skips itself unless a run enables it. A run
can also narrow the stages it executes (param or Variable ``embedforge_enabled_stages``).

Settings resolve in one order: DAG run params (trigger conf) > Airflow Variable > default here;
which settings a run's params may set, and which values are allowed, is ``embedforge_settings``.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

import embedforge_settings as settings
from embedforge_compat import AirflowException, AirflowSkipException, BaseOperator, DataAsset


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
# cannot hold ':', so the run id is not used. Rendered into the Spark stages' arguments and the
# dataset event; EmbedForgeSparkStage and publish validate the rendered value before using it.
OUT_TEMPLATE = "{{ params.out or (var.value.get('%s', '%s') ~ '/' ~ ts_nodash) }}" % (
    VAR_OUT_ROOT,
    OUT_ROOT_DEFAULT,
)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "embedforge",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
}

# The dataset the data DAG updates when its last task succeeds; the training DAG waits on it.
TRAINING_DATA = DataAsset("embedforge://pipeline/training-data")


def enabled_stages(params: dict[str, Any]) -> set[str]:
    """The stages this run executes: params["stages"] > Variable > ``IMPLEMENTED``."""
    stages = params.get("stages")
    if not stages:
        stages = settings.variable(VAR_STAGES, None, deserialize_json=True)
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

    The connection id, jar and extra Spark conf resolve at run time (Variables), so a deployment
    changes them without editing the DAG file. Before anything is submitted, the rendered profile,
    output root and seed are validated and the code-execution knobs (jar, Spark conf) checked
    against what a run's params may set (``embedforge_settings``). spark-submit runs as an
    argument list (SparkSubmitHook), never through a shell.
    """

    def __init__(self, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(
            task_id=stage.name,
            application=JAR_DEFAULT,
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
        params = context["params"]
        name, _, profile, _, out, _, seed = self.application_args
        self.application_args = [
            name,
            "--conf",
            settings.path(profile, "profile", "param 'conf' or Variable '%s'" % VAR_CONF),
            "--out",
            settings.out_path(out),
            "--seed",
            str(settings.count(seed, "seed", "param 'seed'")),
        ]
        self.application, _ = settings.code_knob(
            params, "jar", VAR_JAR, JAR_DEFAULT, settings.VAR_JAR_ALLOWLIST
        )
        self._conn_id = settings.variable(VAR_CONN_ID, CONN_ID_DEFAULT)
        conf: dict[str, Any] = dict(self.stage.spark_conf)
        conf.update(settings.variable(VAR_SPARK_CONF, {}, deserialize_json=True))
        conf.update(settings.spark_conf_from_params(params.get("spark_conf")))
        self.conf = {k: str(v) for k, v in conf.items()} or None
        super().execute(context)


class EmbedForgeGpuStage(BaseOperator):
    """``<train command> <stage> <arguments>`` on the GPU queue; skips disabled stages.

    The command prefix comes from Variable ``embedforge_train_command`` (a run's param ``command``
    only when allow-listed): ``bin/embedforge`` on a GPU worker, or a wrapper such as ``srun
    --gres=gpu:1 embedforge`` or a ``kubectl run`` script (docs/deploy.md). The arguments are
    built from validated settings (``training_arguments``) and the whole command runs as an
    argument list, without a shell; its output goes to the task log and its last line to XCom.
    """

    def __init__(self, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(
            task_id=stage.name,
            execution_timeout=stage.timeout,
            trigger_rule="none_failed",
            **kwargs,
        )
        self.stage = stage
        self._process: subprocess.Popen[str] | None = None

    def execute(self, context: Any) -> str | None:
        skip_unless_enabled(self.stage.name, context)
        params = context["params"]
        prefix, source = settings.code_knob(
            params,
            "command",
            VAR_TRAIN_COMMAND,
            TRAIN_COMMAND_DEFAULT,
            settings.VAR_TRAIN_COMMAND_ALLOWLIST,
        )
        words, env = settings.command_prefix(prefix, source)
        argv = [*words, self.stage.name, *training_arguments(self.stage.name, context)]
        self.log.info("running %s", shlex.join(argv))
        return self._run(argv, env)

    def _run(self, argv: list[str], env: dict[str, str]) -> str | None:
        """Runs ``argv`` in its own process group in a scratch folder; the last output line."""
        last = None
        with tempfile.TemporaryDirectory(prefix="embedforge-") as cwd:
            self._process = subprocess.Popen(
                argv,
                cwd=cwd,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            try:
                for line in self._process.stdout:  # type: ignore[union-attr]
                    last = line.rstrip("\n")
                    self.log.info("%s", last)
                code = self._process.wait()
            finally:
                self.on_kill()
        if code != 0:
            raise AirflowException(f"{argv[0]} {self.stage.name} exited with status {code}")
        return last

    def on_kill(self) -> None:
        """Ends the command's process group (also on timeout), if it still runs."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, None)):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return


def training_arguments(stage: str, context: Any) -> list[str]:
    """The arguments of ``embedforge <stage>`` after the subcommand (``embedforge <stage> --help``),
    from validated settings.

    train: ``--resume`` continues from the newest good checkpoint, so an Airflow retry (or a re-run
    of the task) picks up where the killed try stopped; params.max_steps > 0 caps the updates of a
    try.
    """
    params = context["params"]
    config = _path(params, "train_config", VAR_TRAIN_CONFIG, TRAIN_CONFIG_DEFAULT, "train config")
    model = _model_folder(context)
    if stage == "export":
        return ["--config", config, "--run", f"{model}/train", "--out", f"{model}/export"]
    device = settings.device(*settings.resolve(params, "device", VAR_DEVICE, DEVICE_DEFAULT))
    if stage == "eval":
        eval_config = _path(
            params, "eval_config", VAR_EVAL_CONFIG, EVAL_CONFIG_DEFAULT, "eval config"
        )
        return [
            *("--config", config, "--run", f"{model}/train", "--eval", eval_config),
            *("--out", f"{model}/eval", "--device", device),
        ]
    data = settings.path(
        context["ti"].xcom_pull(task_ids="resolve_data"), "data", "task 'resolve_data'"
    )
    max_steps = settings.count(params.get("max_steps") or 0, "max_steps", "param 'max_steps'")
    return [
        *("--config", config, "--blend", f"{data}/blend", "--run", f"{model}/train"),
        *("--resume", "--device", device),
        *(["--max-steps", str(max_steps)] if max_steps else []),
    ]


def _path(params: Any, param: str, var: str, default: str, what: str) -> str:
    value, source = settings.resolve(params, param, var, default)
    return settings.path(value, what, source)


def _model_folder(context: Any) -> str:
    """params.model_out, else <Variable model root>/<logical timestamp>: the same for every try of
    a run, so a retried ``train --resume`` finds its checkpoints."""
    model_out = context["params"].get("model_out")
    if model_out:
        return settings.path(model_out, "model folder", "param 'model_out'")
    root, source = settings.resolve({}, "model_out", VAR_MODEL_ROOT, MODEL_ROOT_DEFAULT)
    return settings.path(f"{root}/{context['ts_nodash']}", "model folder", source)
