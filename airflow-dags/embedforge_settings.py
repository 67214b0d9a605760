"""Run settings of the EmbedForge DAGs: where each comes from and which values are allowed.

Settings resolve in one order: DAG run params (trigger conf) > Airflow Variable > default. Anyone
who may trigger a DAG sets params; only those who may edit Variables (deployment admins) set
Variables. So two kinds of settings are kept apart:

- **Data settings** (profile, output and model folders, device, seed, step cap): a run's params
  may set them, and every value is validated, whatever its source (param, Variable, or the dataset
  event that carries the data DAG's output to the training DAG), against a strict pattern before
  anything runs. Commands are built as argument lists and never pass through a shell, so even a
  value that got past validation could not run anything.
- **Code-execution knobs** (the training command prefix, the jar, Spark conf such as
  ``spark.driver.extraJavaOptions`` or ``spark.jars``): they choose what code runs, by design.
  They come from Variables; a run's params may only pick a value an admin listed in an allow-list
  Variable (``embedforge_train_command_allowlist``, ``embedforge_jar_allowlist``) or, for Spark
  conf, set the resource keys of ``embedforge_spark_conf_param_keys`` (default
  ``SPARK_CONF_PARAM_KEYS_DEFAULT``) to plain values.

A bad value fails the task at once (``AirflowFailException``: no retries) with a message naming
the setting, where it came from, the value and what is allowed.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Mapping

from embedforge_compat import AirflowFailException, Param, get_variable

# A path or URI: letters, digits and . _ ~ @ % + = : / - only (no spaces, quotes, shell or glob
# characters, no line breaks), not starting with '-' (it would read as an option), at most 4096.
PATH_CHARS = "letters, digits and . _ ~ @ % + = : / - (no spaces, quotes or shell characters)"
PATH_PATTERN = r"(?!-)[A-Za-z0-9._~@%+=:/-]{1,4096}"
DEVICE_PATTERN = r"cpu|gpu(:[0-9]{1,3})?"
# A Spark conf value a run's params may set: sizes, counts, booleans (4, 3g, 0.6, false).
SPARK_VALUE_PATTERN = r"[A-Za-z0-9._-]{1,64}"

# Trigger-form patterns (JSON schema of the Params): the empty default means "use the Variable".
PATH_PARAM_PATTERN = "^$|^%s$" % PATH_PATTERN
DEVICE_PARAM_PATTERN = "^$|^(%s)$" % DEVICE_PATTERN

# Variables of the code-execution allow-lists (JSON lists; empty or unset: params may not set them).
VAR_TRAIN_COMMAND_ALLOWLIST = "embedforge_train_command_allowlist"
VAR_JAR_ALLOWLIST = "embedforge_jar_allowlist"
VAR_SPARK_CONF_PARAM_KEYS = "embedforge_spark_conf_param_keys"

# Spark conf keys a run's params may set by default: resource sizes, none of which runs code.
SPARK_CONF_PARAM_KEYS_DEFAULT: frozenset[str] = frozenset(
    {
        "spark.driver.memory",
        "spark.driver.cores",
        "spark.executor.memory",
        "spark.executor.memoryOverhead",
        "spark.executor.cores",
        "spark.executor.instances",
        "spark.task.cpus",
        "spark.sql.shuffle.partitions",
        "spark.default.parallelism",
        "spark.dynamicAllocation.enabled",
        "spark.dynamicAllocation.minExecutors",
        "spark.dynamicAllocation.maxExecutors",
        "spark.ui.enabled",
    }
)


def path_param(description: str) -> Param:
    """A run param holding a path or URI; the trigger form refuses other values, empty means
    "use the Variable"."""
    return Param("", type="string", pattern=PATH_PARAM_PATTERN, description=description)


def variable(name: str, default: Any, deserialize_json: bool = False) -> Any:
    """An Airflow Variable, or ``default`` when it is not set."""
    return get_variable(name, default, deserialize_json)


def resolve(params: Mapping[str, Any], param: str, var: str, default: Any) -> tuple[Any, str]:
    """(value, where it came from): params[param] > Variable ``var`` > ``default``."""
    value = params.get(param)
    if value not in (None, ""):
        return value, f"param '{param}'"
    value = variable(var, None)
    if value not in (None, ""):
        return value, f"Variable '{var}'"
    return default, "default"


def checked(value: Any, pattern: str, what: str, source: str, allowed: str) -> str:
    """``value`` as a string when it matches ``pattern`` in full, else a failing task."""
    text = value if isinstance(value, str) else None
    if text is None or re.fullmatch(pattern, text) is None:
        raise AirflowFailException(
            f"{what} from {source} is {value!r}: allowed are {allowed}; nothing was run"
        )
    return text


def path(value: Any, what: str, source: str) -> str:
    """A validated path or URI (see ``PATH_PATTERN``)."""
    return checked(value, PATH_PATTERN, what, source, PATH_CHARS + ", not starting with '-'")


def device(value: Any, source: str) -> str:
    """A validated ``--device``: cpu, gpu or gpu:N."""
    return checked(value, DEVICE_PATTERN, "device", source, "cpu, gpu or gpu:N")


def count(value: Any, what: str, source: str) -> int:
    """A validated non-negative integer (seed, step cap), from an int or its decimal digits."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise AirflowFailException(
        f"{what} from {source} is {value!r}: allowed is an integer >= 0; nothing was run"
    )


def code_knob(
    params: Mapping[str, Any], param: str, var: str, default: str, allowlist_var: str
) -> tuple[str, str]:
    """A code-execution setting: Variable ``var`` (or ``default``), or a param value an admin
    listed in the JSON list Variable ``allowlist_var``."""
    value = params.get(param)
    if value in (None, ""):
        return variable(var, default), f"Variable '{var}'"
    allowed = variable(allowlist_var, [], deserialize_json=True) or []
    if value not in allowed:
        raise AirflowFailException(
            f"param '{param}' is {value!r}, which is not in Variable '{allowlist_var}' "
            f"({allowed!r}): it chooses the code a task runs, so a run may only pick a value an "
            f"admin listed there (or leave it empty for Variable '{var}'); nothing was run"
        )
    return value, f"param '{param}' (allow-listed)"


def spark_conf_from_params(conf: Any) -> dict[str, str]:
    """A run's ``spark_conf`` param: only allowed keys (Variable ``embedforge_spark_conf_param_keys``,
    default ``SPARK_CONF_PARAM_KEYS_DEFAULT``), each with a plain value."""
    if not conf:
        return {}
    if not isinstance(conf, dict):
        raise AirflowFailException(f"param 'spark_conf' is {conf!r}: allowed is a JSON object")
    keys = variable(VAR_SPARK_CONF_PARAM_KEYS, None, deserialize_json=True)
    allowed = frozenset(keys) if keys is not None else SPARK_CONF_PARAM_KEYS_DEFAULT
    out = {}
    for key, value in conf.items():
        if key not in allowed:
            raise AirflowFailException(
                f"param 'spark_conf' sets {key!r}: a run's params may set only {sorted(allowed)} "
                f"(Variable '{VAR_SPARK_CONF_PARAM_KEYS}'); other Spark conf can run code "
                "(extraJavaOptions, jars, plugins) and belongs in Variable 'embedforge_spark_conf'; "
                "nothing was run"
            )
        out[key] = checked(
            str(value), SPARK_VALUE_PATTERN, f"spark_conf {key!r}", "param 'spark_conf'",
            "a plain value: letters, digits and . _ - (at most 64)",
        )
    return out


def command_prefix(prefix: str, source: str) -> tuple[list[str], dict[str, str]]:
    """The argument list and extra environment of a command prefix such as ``srun --gres=gpu:1
    embedforge`` or ``EMBEDFORGE_JAVA_OPTS=-Xmx48g /opt/embedforge/bin/embedforge``: split as a
    shell would split words, leading ``NAME=value`` words become environment variables. Nothing
    else of a shell applies (no expansion, no operators): the words run as they are."""
    try:
        words = shlex.split(prefix)
    except ValueError as e:
        raise AirflowFailException(f"command prefix from {source} does not parse: {e}") from e
    env = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words:
        raise AirflowFailException(f"command prefix from {source} is {prefix!r}: no command")
    return words, env


def out_path(value: Any) -> str:
    """A data run's output root, as rendered for a task or carried by the dataset event."""
    return path(value, "output root", "param 'out' or Variable 'embedforge_out_root'")


def dataset_out(extra: Any) -> str | None:
    """The output root a dataset event carries, validated, or None when it carries none."""
    out = (extra or {}).get("out") if isinstance(extra, dict) else None
    return None if out in (None, "") else path(out, "data", "the dataset event's extra 'out'")
