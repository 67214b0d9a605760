#!/usr/bin/env python3
"""Issue 20's table of a run: negatives per row per source, from the run manifest only.

Per source the rows the blend read, those with 0 and with fewer than 7 negatives (before the
blend's min_negatives policy), the rows mine-dense widened, the source's min_negatives, the rows
the policy dropped (too_few_negatives) and, when the blend's fallback filled any, the rows filled;
then the rows of each training stage. Prints a Markdown table (BENCHMARKS.md, issue 20).

Usage: negatives_table.py OUT_DIR   (reads OUT_DIR/manifest.json; standard library only)
"""
import json
import sys
from pathlib import Path


def main(out: Path) -> None:
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    blend = stages["blend"]["result"]
    policy = blend["negatives_policy"]
    dense = stages.get("mine-dense", {}).get("result", {}).get("sources", {})
    filled = policy.get("filled_rows") or {}
    print("| source | rows read by blend | 0 negatives | < 7 negatives | widened (mine-dense)"
          " | min_negatives | dropped by policy (too_few_negatives) | filled by fallback"
          " | stage1 rows | stage2 rows |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for source in sorted(blend["rows_in"]):
        per_row = policy["negatives_per_row"].get(source, {})
        widened = dense.get(source, {}).get("widened")
        cells = [
            source,
            f"{blend['rows_in'][source]:,}",
            f"{per_row.get('0', 0):,}",
            f"{sum(n for k, n in per_row.items() if int(k) < 7):,}",
            "-" if widened is None else f"{widened:,}",
            str(policy["min_negatives"].get(source)),
            f"{policy['too_few_negatives'].get(source, 0):,}",
            f"{filled[source]:,}" if source in filled else "-",
            f"{blend['stage1']['rows_out'].get(source, 0):,}",
            f"{blend['stage2']['rows_out'].get(source, 0):,}",
        ]
        print("| " + " | ".join(cells) + " |")
    print(f"\nstage1 {blend['stage1']['rows']:,} rows, stage2 {blend['stage2']['rows']:,} rows")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
