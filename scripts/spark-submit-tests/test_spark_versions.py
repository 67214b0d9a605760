"""The -Pspark-submit jar under spark-submit of the oldest and newest Spark 4.x supported.

Each Spark is the spark-submit of a pyspark package in its own venv (``EMBEDFORGE_SPARK_VENVS``,
one venv per ``requirements-spark-*.txt``, made by ``bin/test-all``): the jar runs ``ingest``
through ``blend`` of ``conf/local.yaml`` on ``test-data/`` (ingest, decontaminate, the three
miners, blend) in one ``spark-submit`` per Spark, ``local[2]``. Then one Spark reads every
committed Parquet table of both runs and digests its rows (order-free: a sum of row hashes, with
the count), so the test fails when any table differs between the two Sparks by one row or one
value: a jar whose Jackson, SnakeYAML, Gson or Commons clash with a Spark's own copy fails there
or runs differently.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
JAR = Path(
    os.environ.get(
        "EMBEDFORGE_JAR",
        REPO_ROOT / "pipeline-jobs" / "target" / "pipeline-jobs-0.1.0-SNAPSHOT-spark-submit.jar",
    )
)
MAIN_CLASS = "io.embedforge.pipeline.cli.EmbedForge"
STAGES_RUN = ("ingest", "decontaminate", "mine-dense", "mine-bm25", "label-negatives", "blend")
MARKER = "_SUCCESS"

# Per Parquet folder: rows and the sum of each row's SHA-256 prefix (60 bits, as a decimal), the
# row rendered as JSON with its columns in name order. Only the two numbers reach the driver.
DIGEST = """
import json, sys
from pyspark.sql import SparkSession, functions as F
spark = (SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false')
         .config('spark.sql.shuffle.partitions', '2').getOrCreate())
out = {}
for folder in sys.argv[1:]:
    df = spark.read.parquet(folder)
    row = F.to_json(F.struct(*[F.col(c) for c in sorted(df.columns)]))
    h = F.conv(F.substring(F.sha2(row, 256), 1, 15), 16, 10).cast('decimal(38,0)')
    r = df.agg(F.count(F.lit(1)).alias('n'), F.sum(h).alias('s')).first()
    out[folder] = [r['n'], str(r['s'])]
print('DIGESTS ' + json.dumps(out))
"""


def _venvs() -> list[Path]:
    value = os.environ.get("EMBEDFORGE_SPARK_VENVS", "")
    venvs = [Path(v) for v in value.split(os.pathsep) if v]
    assert len(venvs) >= 2, (
        "EMBEDFORGE_SPARK_VENVS: two or more pyspark venvs (bin/test-all sets it), got " + value
    )
    for venv in venvs:
        assert (venv / "bin" / "spark-submit").is_file(), f"{venv}: no bin/spark-submit"
    return venvs


def _env(venv: Path) -> dict[str, str]:
    """pyspark's spark-submit finds its SPARK_HOME through the python of its own venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_HOME", "PYSPARK_PYTHON")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _spark_version(venv: Path) -> str:
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pyspark; print(pyspark.__version__)"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return result.stdout.strip()


def _submit(venv: Path, out: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        str(venv / "bin" / "spark-submit"),
        *("--master", "local[2]", "--driver-memory", "3g", "--class", MAIN_CLASS),
        *("--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=4"),
        *("--driver-java-options", "-Dai.djl.offline=true"),
        str(JAR),
        *("run", "--conf", str(REPO_ROOT / "conf" / "local.yaml"), "--out", str(out)),
        *("--seed", "42", "--until", "blend"),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=3600, env=_env(venv))


def _tables(out: Path) -> list[str]:
    """Every committed Parquet folder of a run, relative to it (temporary folders excluded)."""
    return sorted(
        p.parent.relative_to(out).as_posix()
        for p in out.rglob(MARKER)
        if list(p.parent.glob("*.parquet")) and "_tmp" not in p.parts
    )


def _digests(venv: Path, out: Path, tables: list[str]) -> dict[str, list]:
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", DIGEST, *(str(out / t) for t in tables)],
        capture_output=True, text=True, timeout=1800, env=_env(venv),
    )
    assert result.returncode == 0, result.stderr[-4000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("DIGESTS "))
    found = json.loads(line[len("DIGESTS "):])
    return {t: found[str(out / t)] for t in tables}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One run of ingest..blend per Spark: {spark version: output root}."""
    assert JAR.is_file(), f"build the jar first: mvn -B -q package -DskipTests -Pspark-submit ({JAR})"
    outs = {}
    for venv in _venvs():
        version = _spark_version(venv)
        out = tmp_path_factory.mktemp(f"spark-{version}") / "run"
        started = time.monotonic()
        result = _submit(venv, out)
        print(f"spark-submit of Spark {version}: ingest..blend in {time.monotonic() - started:.0f} s")
        assert result.returncode == 0, (version, result.stdout[-4000:], result.stderr[-8000:])
        # The driver really ran on this Spark (not another SPARK_HOME on the PATH).
        assert re.search(rf"Running Spark version {re.escape(version)}\b", result.stderr), version
        outs[version] = out
    return outs


def test_every_stage_commits_its_tables_under_each_spark(runs: dict[str, Path]) -> None:
    for version, out in runs.items():
        tables = _tables(out)
        for stage in STAGES_RUN:
            assert any(t.startswith(stage + "/") for t in tables), (version, stage, tables)
        assert "blend/stage1" in tables and "blend/stage2" in tables, (version, tables)


def test_rows_are_identical_across_spark_versions(runs: dict[str, Path]) -> None:
    """Same tables, and per table the same row count and row-content digest."""
    versions = list(runs)
    tables = _tables(runs[versions[0]])
    for version in versions[1:]:
        assert _tables(runs[version]) == tables, (versions[0], version)
    reader = _venvs()[-1]
    digests = {v: _digests(reader, runs[v], tables) for v in versions}
    first = digests[versions[0]]
    for table in tables:
        assert first[table][0] > 0 or table.endswith("rejects"), (table, first[table])
    for version in versions[1:]:
        differing = {t: (first[t], digests[version][t]) for t in tables if first[t] != digests[version][t]}
        assert not differing, f"Spark {versions[0]} vs {version}: {differing}"
    print(f"{len(tables)} tables identical across Spark {', '.join(versions)}")
