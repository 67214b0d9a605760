"""Compares every Parquet table under two EmbedForge output roots, row by row.

    python scripts/compare_outputs.py BEFORE AFTER [--rename OLD=NEW ...]

Each table (a folder holding .parquet files; hive partitions such as fingerprint=... are read as
columns) is read with pyarrow, every row turned into canonical JSON (floats by repr, nested lists
kept), the rows sorted, and both sides compared as sorted lists, with their schemas. Tables present
on one side only are reported. `--rename dense=mine-dense` maps a top-level folder of BEFORE to its
name in AFTER (the stage folder renamed in issue 19). Exit code 0 when every table is identical.
Needs pyarrow (scripts/reference/requirements.txt installs it with `datasets`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import pyarrow.dataset as ds


def tables(root: str) -> dict[str, str]:
    """Relative table folder -> absolute path, skipping the runner's _tmp folder."""
    out = {}
    for dirpath, _, filenames in os.walk(root):
        parts = os.path.relpath(dirpath, root).split(os.sep)
        if "_tmp" in parts or not any(f.endswith(".parquet") for f in filenames):
            continue
        while parts and "=" in parts[-1]:  # a partition folder: the table is above it
            parts = parts[:-1]
        out[os.sep.join(parts)] = os.path.join(root, *parts)
    return out


def canonical(value):
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else repr(value)
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    return value


def read(path: str) -> tuple[list[tuple[str, str]], list[str]]:
    table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    rows = sorted(
        json.dumps(canonical(r), sort_keys=True, ensure_ascii=False) for r in table.to_pylist()
    )
    return [(f.name, str(f.type)) for f in table.schema], rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    args = parser.parse_args()
    renamed = dict(r.split("=", 1) for r in args.rename)
    before = {}
    for rel, path in tables(args.before).items():
        parts = rel.split(os.sep)
        parts[0] = renamed.get(parts[0], parts[0])
        before[os.sep.join(parts)] = path
    after = tables(args.after)
    identical, rows = True, 0
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            print(f"MISSING {name}: before={name in before} after={name in after}")
            identical = False
            continue
        schema_b, rows_b = read(before[name])
        schema_a, rows_a = read(after[name])
        same = rows_b == rows_a and schema_b == schema_a
        rows += len(rows_a)
        detail = "" if schema_b == schema_a else f"; schema {schema_b} -> {schema_a}"
        print(f"{'same' if same else 'DIFF'} {name}: {len(rows_b)} rows before, {len(rows_a)} after{detail}")
        if not same:
            identical = False
            for r in sorted(set(rows_b) - set(rows_a))[:3]:
                print("  only before:", r[:300])
            for r in sorted(set(rows_a) - set(rows_b))[:3]:
                print("  only after: ", r[:300])
    print(f"{'IDENTICAL' if identical else 'DIFFERENT'}: {len(after)} tables, {rows} rows")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
