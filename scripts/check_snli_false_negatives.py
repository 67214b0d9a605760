#!/usr/bin/env python3
"""SNLI false negatives of a run: mined negatives that are an entailed hypothesis of the same premise.

Every entailed hypothesis of a premise is a positive of that premise, so none may be mined as its
negative (issue 20: "0 in 28,739"). Reads the run's `mine-dense/examples` (and `blend/stage2`) and
the SNLI files of the real-samples profile (e-SNLI layout: line-aligned s1.<split>, s2.<split>,
labels.<split>); texts are compared after whitespace collapsing and case folding.

Usage: check_snli_false_negatives.py OUT_DIR SNLI_DIR [source=split ...]
       (default sources: nli_dev=dev nli_test=test)
Needs pyarrow (the reference venv has it).
"""
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.dataset as ds


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def entailed(snli: Path, split: str) -> dict:
    """premise -> set of its entailed hypotheses."""
    s1 = (snli / f"s1.{split}").read_text(encoding="utf-8").splitlines()
    s2 = (snli / f"s2.{split}").read_text(encoding="utf-8").splitlines()
    labels = (snli / f"labels.{split}").read_text(encoding="utf-8").splitlines()
    out = defaultdict(set)
    for premise, hypothesis, label in zip(s1, s2, labels):
        if label.strip() == "entailment":
            out[norm(premise)].add(norm(hypothesis))
    return out


def count(table_dir: Path, sources: dict, snli: Path) -> tuple:
    table = ds.dataset(str(table_dir), format="parquet").to_table(
        columns=["source", "query", "negatives"]).to_pylist()
    by_split = {split: entailed(snli, split) for split in set(sources.values())}
    negatives = false = rows = 0
    for row in table:
        split = sources.get(row["source"])
        if split is None:
            continue
        rows += 1
        positives = by_split[split].get(norm(row["query"]), set())
        for negative in row["negatives"]:
            negatives += 1
            false += norm(negative) in positives
    return rows, negatives, false


def main() -> None:
    out, snli = Path(sys.argv[1]), Path(sys.argv[2])
    pairs = sys.argv[3:] or ["nli_dev=dev", "nli_test=test"]
    sources = dict(p.split("=", 1) for p in pairs)
    for table in ("mine-dense/examples", "blend/stage2"):
        if (out / table).exists():
            rows, negatives, false = count(out / table, sources, snli)
            print(f"{table}: {rows} rows, {negatives} negatives, {false} entailed hypotheses of "
                  f"the same premise among them")


if __name__ == "__main__":
    main()
