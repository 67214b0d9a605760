#!/usr/bin/env python3
"""Loads a folder written by the Java `export` command with transformers + PEFT and checks that
its embeddings equal the ones Java computed.

Run the Java test first; it trains a few steps of the tiny model, exports it (with --merged) to
training-driver/target/export-check/export/ and writes inputs.json + java_embeddings.safetensors
next to it:
    cd training-driver && mvn -o -B test -Dtest=ExportCommandTest
    /work/venv-ref/bin/python scripts/reference/check_export.py [export-check folder]

What is checked, for a few instructed queries and documents:
  1. tokenisation: the export's tokenizer.json through `tokenizers`, BOS + text + EOS, truncation
     to max_length - 2 text tokens, instruction span from character offsets -> the same ids and
     pooling mask as Java;
  2. base/ with AutoModelForCausalLM.from_pretrained, bidirectional attention, the adapter with
     peft.PeftModel.from_pretrained, the latent-attention head (NV-Embed names) with masked-mean
     pooling and L2 normalisation -> embeddings equal Java's within 1e-4;
  3. the same with merged/ (adapter folded into the weights, no PEFT).
"""
import json
import pathlib
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

from make_fixtures import LatentAttention

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "training-driver" / "target" / "export-check"
TOLERANCE = 1e-4


def load_tokenizer(tok_file):
    tok = Tokenizer.from_file(str(tok_file))
    tok.no_truncation()
    tok.no_padding()
    return tok


QUERY_TEMPLATE = "Instruct: {instruction}\nQuery: {query}"


def tokenize(tok, inputs, max_length, bos, eos, pad=0, template=QUERY_TEMPLATE):
    """NvEmbedTokenizer.encode in Python: ids, attention mask, pooling mask (right padding).

    template: the export's query_template; the instruction prefix is everything before {query}.
    """
    rows, spans = [], []
    for item in inputs:
        instruction = item["instruction"]
        prefix = template.split("{query}")[0].replace("{instruction}", instruction) if instruction else ""
        text = prefix + item["text"]
        enc = tok.encode(text, add_special_tokens=False)
        keep = min(len(enc.ids), max_length - 2)
        span = 0
        # a token is instruction only if it ends at or before the end of the prefix
        while prefix and span < keep and enc.offsets[span][1] <= len(prefix):
            span += 1
        rows.append([bos] + enc.ids[:keep] + [eos])
        spans.append(span)
    n = max(len(r) for r in rows)
    ids = torch.full((len(rows), n), pad, dtype=torch.long)
    mask = torch.zeros(len(rows), n, dtype=torch.long)
    pool = torch.zeros(len(rows), n, dtype=torch.long)
    for i, (r, span) in enumerate(zip(rows, spans)):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
        pool[i, span + 1 : len(r)] = 1  # BOS and the instruction tokens are not pooled
    return ids, mask, pool


def bidirectional(model):
    model.config.is_causal = False
    for layer in model.model.layers:
        layer.self_attn.is_causal = False
    return model


def head_for(meta, folder, hidden):
    h = meta["latent_attention"]
    head = LatentAttention(hidden, num_latents=h["num_latents"], latent_dim=h["latent_dim"],
                           heads=h["heads"], head_dim=h["head_dim"], mult=h["ff_mult"],
                           gated=h["gated"]).eval()
    state = load_file(str(folder / "latent_attention.safetensors"))
    head.load_state_dict({k.removeprefix("latent_attention_model."): v for k, v in state.items()})
    return head


def main():
    check = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else CHECK
    export = check / "export"
    meta = json.loads((export / "embedforge.json").read_text(encoding="utf-8"))
    inputs = json.loads((check / "inputs.json").read_text(encoding="utf-8"))
    java = load_file(str(check / "java_embeddings.safetensors"))
    base_dir = export / meta["base_model_folder"] if meta["base_model_exported"] else pathlib.Path(meta["base_model"])

    ids, mask, pool = tokenize(load_tokenizer(base_dir / "tokenizer.json"), inputs["inputs"], inputs["max_length"],
                               meta["bos_token_id"], meta["eos_token_id"], meta["pad_token_id"],
                               template=meta["query_template"])
    assert torch.equal(ids, java["input_ids"].long()), (ids, java["input_ids"])
    assert torch.equal(mask, java["attention_mask"].long())
    assert torch.equal(pool, java["pool_mask"].long()), (pool, java["pool_mask"])
    print(f"tokenisation: {ids.shape[0]} inputs, ids / attention mask / pooling mask identical to Java")

    base = bidirectional(AutoModelForCausalLM.from_pretrained(str(base_dir), attn_implementation="eager",
                                                            dtype=torch.float32)).eval()
    with torch.no_grad():  # bidirectional: position 0 must see a change at position 5
        h0 = base.model(input_ids=ids[:1], attention_mask=mask[:1]).last_hidden_state
        ids2 = ids[:1].clone()
        ids2[0, 5] = 2000
        h1 = base.model(input_ids=ids2, attention_mask=mask[:1]).last_hidden_state
        assert not torch.allclose(h0[0, 0], h1[0, 0]), "attention is still causal"
    model = PeftModel.from_pretrained(base, str(export)).eval()
    sum_b = sum(p.abs().sum().item() for n, p in model.named_parameters() if "lora_B" in n)
    head = head_for(meta, export, base.config.hidden_size)
    with torch.no_grad():
        hidden = model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        emb = head(hidden, pool)
        with model.disable_adapter():  # the adapter must matter, or the comparison shows nothing
            plain = head(model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state, pool)
    diff = (emb - java["embeddings"]).abs().max().item()
    effect = (emb - plain).abs().max().item()
    print(f"PEFT adapter on base/: sum|B|={sum_b:.3f}, max|emb - emb without adapter|={effect:.2e};"
          f" max|diff| vs Java = {diff:.2e}")

    diff_merged = None
    if meta.get("merged_folder"):
        merged_dir = export / meta["merged_folder"]
        merged = bidirectional(AutoModelForCausalLM.from_pretrained(str(merged_dir), attn_implementation="eager",
                                                                  dtype=torch.float32)).eval()
        head_m = head_for(meta, merged_dir, merged.config.hidden_size)
        with torch.no_grad():
            emb_m = head_m(merged.model(input_ids=ids, attention_mask=mask).last_hidden_state, pool)
        diff_merged = (emb_m - java["embeddings"]).abs().max().item()
        print(f"merged/ (no PEFT): max|diff| vs Java = {diff_merged:.2e}")

    q, d = emb[:3], emb[3:]
    print("cosine query x document (Python):\n" + "\n".join(" ".join(f"{v:+.3f}" for v in row) for row in (q @ d.T).tolist()))
    assert sum_b > 0 and effect > 100 * TOLERANCE, "the adapter does not change the embeddings"
    assert diff < TOLERANCE, diff
    assert diff_merged is None or diff_merged < TOLERANCE, diff_merged
    print("OK")


if __name__ == "__main__":
    main()
