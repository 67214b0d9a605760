#!/usr/bin/env python3
"""Python side of the SmolLM2 parity test (training-driver SmolLM2ParityTest).

Reads the Hugging Face folder written by scripts/smollm2.py and writes, into --out (default: the
folder `parity` beside it, outside the repository):
  - inputs.json: the texts (2 instructed queries, 2 documents) and max_length;
  - adapter/: a PEFT LoRA adapter (r 16, alpha 32, all 7 projections, non-zero B drawn from a
    fixed seed, as a trained adapter would have) and an NV-Embed latent-attention head with the
    paper's shape (512 latents, 8 heads of width 576, GEGLU x4), random from the same seed;
  - expected.safetensors: token ids, attention and pooling masks (NvEmbedTokenizer's rules, from
    check_export.tokenize), transformers' last hidden states of the base model with the
    bidirectional and the causal mask, of the base + LoRA (bidirectional), and the pooled
    embeddings: latent head + masked mean + L2 (NV-Embed) and plain masked mean; plus the
    bidirectional hidden states computed in float64 (stored as float32), the reference that
    shows the float32 noise floor of this model.

Usage:
    /work/venv-ref/bin/python scripts/reference/smollm2_reference.py \\
        --model ~/.cache/embedforge/smollm2/SmolLM2-135M-Instruct-Q4_1
Then: EMBEDFORGE_SMOLLM2=<model folder> mvn -pl training-driver -am test -Dtest=SmolLM2ParityTest
"""
import argparse
import json
import os
import pathlib
import shutil
import sys

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaForCausalLM

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_export import load_tokenizer, tokenize  # noqa: E402
from make_fixtures import LatentAttention, both_masks, masked_mean, normalize  # noqa: E402

SEED = 135
MAX_LENGTH = 48
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
INPUTS = [
    {"instruction": "Given a web search query, retrieve relevant passages that answer the query",
     "text": "what is the capital of France?"},
    {"instruction": "Retrieve semantically similar text.", "text": "A man is playing a guitar."},
    {"instruction": None, "text": "Paris is the capital and most populous city of France."},
    {"instruction": None, "text": "Rotary position embeddings rotate query and key pairs by an "
                                  "angle that grows with the position, so attention scores "
                                  "depend on relative distance."},
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    model_dir = args.model.expanduser().resolve()
    out = (args.out or model_dir.parent / "parity").expanduser().resolve()
    shutil.rmtree(out, ignore_errors=True)
    (out / "adapter").mkdir(parents=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)

    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    ids, mask, pool = tokenize(load_tokenizer(model_dir / "tokenizer.json"), INPUTS, MAX_LENGTH,
                               cfg["bos_token_id"], cfg["eos_token_id"])
    model = LlamaForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32,
                                             attn_implementation="eager").eval()
    hidden_base, hidden_causal = both_masks(model, ids, mask)
    # The float32 noise floor of this model (30 layers, activations up to ~54): the same forward
    # in float64, against which both transformers' and Java's float32 results are measured.
    model64 = LlamaForCausalLM.from_pretrained(str(model_dir), dtype=torch.float64,
                                               attn_implementation="eager").eval()
    hidden_base_f64, _ = both_masks(model64, ids, mask)
    del model64
    gap = (hidden_base.double() - hidden_base_f64)[mask.bool()].abs().max().item()
    print(f"transformers float32 vs float64, last hidden states: max |diff| {gap:.3g}")

    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.1, target_modules=TARGETS, bias="none")
    peft_model = get_peft_model(model, lora).eval()
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.02 * torch.randn(p.shape, generator=gen))
    peft_model.save_pretrained(str(out / "adapter"))
    (out / "adapter" / "README.md").unlink(missing_ok=True)
    hidden = cfg["hidden_size"]
    head = LatentAttention(hidden, 512, hidden, 8, hidden, 4).eval()
    with torch.no_grad():
        for name, p in head.named_parameters():
            if "norm" in name or name.endswith("bias"):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
        hidden_lora = peft_model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        emb_latent = head(hidden_lora, pool)
        emb_mean = normalize(masked_mean(hidden_base, pool))
    save_file({"latent_attention_model." + k: v.contiguous() for k, v in head.state_dict().items()},
              str(out / "adapter" / "latent_attention.safetensors"))
    f32 = lambda t: t.detach().float().contiguous()  # noqa: E731
    save_file({"input_ids": f32(ids), "attention_mask": f32(mask), "pool_mask": f32(pool),
               "hidden_base": f32(hidden_base), "hidden_base_causal": f32(hidden_causal),
               "hidden_base_f64": f32(hidden_base_f64),
               "hidden_lora": f32(hidden_lora), "emb_latent": f32(emb_latent),
               "emb_mean": f32(emb_mean)}, str(out / "expected.safetensors"))
    (out / "inputs.json").write_text(json.dumps({"max_length": MAX_LENGTH, "inputs": INPUTS}, indent=1),
                                     encoding="utf-8")
    print(f"wrote {out}; tokens per row {mask.sum(1).tolist()}, pooled {pool.sum(1).tolist()}")


if __name__ == "__main__":
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    main()
