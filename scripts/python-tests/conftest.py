"""Shared fixtures: a blend output in the training contract, and the CLI that exports it."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EMBEDFORGE = REPO_ROOT / "bin" / "embedforge"

# Four sources, row i of each with i % 8 negatives (0 to 7): every policy drops some rows.
SOURCES = {
    "msmarco": ("retrieval", "Given a web search query, retrieve relevant passages"),
    "nq": ("retrieval", "Given a question, retrieve Wikipedia passages that answer it"),
    "stsbenchmark": ("sts", "Retrieve semantically similar text."),
    "banking77": ("classification", "Given an online banking query, find the intent"),
}
PER_SOURCE = 24
BATCH = 8

SCHEMA = pa.schema(
    [
        pa.field("example_id", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("task_type", pa.string(), nullable=False),
        pa.field("instruction", pa.string(), nullable=False),
        pa.field("query", pa.string(), nullable=False),
        pa.field("query_text", pa.string(), nullable=False),
        pa.field("positive", pa.string(), nullable=False),
        pa.field("negatives", pa.list_(pa.string()), nullable=False),
        pa.field("negative_scores", pa.list_(pa.float64()), nullable=False),
        pa.field("negative_miner", pa.string(), nullable=False),
        pa.field("document_instruction", pa.string()),
        pa.field("in_batch_negatives", pa.bool_(), nullable=False),
        pa.field("batch_index", pa.int64(), nullable=False),
    ]
)


def blend_rows(stage: str) -> list[dict]:
    """The rows of a stage in blend order (seeded shuffle, then batch numbers)."""
    stage1 = stage == "stage1"
    rows = []
    for source, (task, instruction) in SOURCES.items():
        if stage1 and task != "retrieval":
            continue
        for i in range(PER_SOURCE):
            query = f"{source} question {i} about topic {i % 5}"
            negatives = [f"{source} unrelated passage {i} {k}" for k in range(i % 8)]
            rows.append(
                {
                    "example_id": f"{source}-{i:04d}",
                    "stage": stage,
                    "source": source,
                    "task_type": task,
                    "instruction": instruction,
                    "query": query,
                    "query_text": f"Instruct: {instruction}\nQuery: {query}",
                    "positive": f"{source} passage answering topic {i % 5} number {i}",
                    "negatives": negatives,
                    "negative_scores": [0.5 - k / 10 for k in range(len(negatives))],
                    "negative_miner": "dense",
                    "document_instruction": instruction if task == "sts" else None,
                    "in_batch_negatives": stage1,
                    "batch_index": 0,
                }
            )
    random.Random(7).shuffle(rows)
    for position, row in enumerate(rows):
        row["batch_index"] = position // BATCH
    return rows


def _stage_summary(stage: str, rows: list[dict]) -> dict:
    per_source: dict[str, int] = {}
    for r in rows:
        per_source[r["source"]] = per_source.get(r["source"], 0) + 1
    return {
        "in_batch_negatives": stage == "stage1",
        "rows_in": per_source,
        "drops": {},
        "targets": per_source,
        "path": stage,
        "rows_out": per_source,
        "rows": len(rows),
        "negatives_histogram": {},
        "batches": (len(rows) + BATCH - 1) // BATCH,
    }


@pytest.fixture(scope="session")
def blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A blend folder: stage1/, stage2/ (three files each) and manifest.json."""
    root = tmp_path_factory.mktemp("run") / "blend"
    summaries = {}
    for stage in ("stage1", "stage2"):
        rows = blend_rows(stage)
        (root / stage).mkdir(parents=True)
        for part in range(3):
            chunk = rows[part::3]
            table = pa.Table.from_pylist(chunk, schema=SCHEMA)
            pq.write_table(table, root / stage / f"part-{part:05d}.parquet")
        summaries[stage] = _stage_summary(stage, rows)
    manifest = {
        "profile": "python-tests",
        "seed": 42,
        "config": {"sources": {"msmarco": {"license": "MS MARCO terms"}}},
        "blend": {
            "fingerprint": "python-tests",
            "result": {
                "seed": 42,
                "inputs": {},
                "rows_in_by_input": {},
                "rows_in": summaries["stage2"]["rows_in"],
                "negatives_truncated": 0,
                **summaries,
            },
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def export(blend: Path, fmt: str, out: Path, *options: str) -> Path:
    """Runs `embedforge export-data`; returns the export folder."""
    env = dict(os.environ, EMBEDFORGE_JAVA_OPTS=os.environ.get("EMBEDFORGE_JAVA_OPTS", "-Xmx1g"))
    cmd = [str(EMBEDFORGE), "export-data", "--blend", str(blend), "--format", fmt,
           "--out", str(out), "--master", "local[2]", *options]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def exports(blend: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The blend exported in every format (sentence-transformers with two negative columns)."""
    out = tmp_path_factory.mktemp("exports")
    return {
        "hf": export(blend, "hf", out / "hf"),
        "sentence-transformers": export(
            blend, "sentence-transformers", out / "st", "--negatives", "2"
        ),
        "flagembedding": export(blend, "flagembedding", out / "fe"),
        "tevatron": export(blend, "tevatron", out / "tev", "--min-negatives", "1"),
    }
