#!/usr/bin/env python3
"""int8 variants of E5-small-v2 against fp32 on STS-B test (issue 23, BENCHMARKS.md "int8 encoder").

Compares the fp32 graph, the per-channel int8 graph of scripts/quantize_encoder.py (both in the
model cache) and a per-tensor int8 graph made with
  cp <cache>/models/e5-small-v2-langchain4j-0.36.2/model.onnx /tmp/i23-pt/model.onnx
  python3 scripts/quantize_encoder.py --onnx /tmp/i23-pt/model.onnx --no-per-channel
ONNX Runtime in Python, batches of 32 in file order, mean pooling, "query: " on both sides.
Prints a Markdown table: Spearman, how much each pair's cosine moves, the worst vector cosine.
Needs onnxruntime, numpy and tokenizers (scripts/quantize-requirements.txt + tokenizers==0.21.0).
"""
import collections

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer
import os
from pathlib import Path
cache = str(Path(os.environ.get("EMBEDFORGE_CACHE") or Path.home() / ".cache/embedforge") / "models/e5-small-v2-langchain4j-0.36.2") + "/"
tok = Tokenizer.from_file(cache + "tokenizer.json")
tok.enable_truncation(512)
rows = [l.rstrip("\n").split("\t") for l in open(str(Path(__file__).resolve().parents[3] / "shared/data/stsbenchmark/sts-test.csv"), encoding="utf-8")]
gold = np.array([float(r[4]) for r in rows])
a = ["query: " + r[5] for r in rows]; b = ["query: " + r[6] for r in rows]
def rank(x):
    o = x.argsort(kind="stable"); r = np.empty(len(x)); r[o] = np.arange(len(x))
    # average ties
    d = collections.defaultdict(list)
    for i, v in enumerate(x): d[v].append(r[i])
    return np.array([np.mean(d[v]) for v in x])
def spearman(x, y): return np.corrcoef(rank(x), rank(y))[0, 1]
def embed(sess, texts):
    out = []
    names = [i.name for i in sess.get_inputs()]
    for s in range(0, len(texts), 32):
        enc = tok.encode_batch(texts[s:s+32])
        L = max(len(e.ids) for e in enc)
        ids = np.zeros((len(enc), L), np.int64); m = np.zeros_like(ids); t = np.zeros_like(ids)
        for i, e in enumerate(enc):
            n = len(e.ids); ids[i, :n] = e.ids; m[i, :n] = 1
        feed = {"input_ids": ids, "attention_mask": m, "token_type_ids": t}
        h = sess.run(None, {k: feed[k] for k in names})[0]
        v = (h * m[..., None]).sum(1) / m.sum(1, keepdims=True)
        out.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    return np.concatenate(out)
so = ort.SessionOptions(); so.intra_op_num_threads = 2
res = {}
for name, path in [("fp32", cache + "model.onnx"), ("int8 per-channel", cache + "model.int8.onnx"), ("int8 per-tensor", "/tmp/i23-pt/model.int8.onnx")]:
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    ea, eb = embed(s, a), embed(s, b)
    res[name] = ((ea * eb).sum(1), np.concatenate([ea, eb]))
f_cos, f_vec = res["fp32"]
print("| variant | STS-B test Spearman | median / 95th pct abs change of a pair's cosine vs fp32 | min cosine of a text's vector with its fp32 vector |")
print("|---|---|---|---|")
for name, (cos, vec) in res.items():
    d = np.abs(cos - f_cos)
    print(f"| {name} | {spearman(cos, gold):.4f} | {np.median(d):.5f} / {np.percentile(d, 95):.5f} | {(vec * f_vec).sum(1).min():.4f} |")
