#!/usr/bin/env python3
"""Loads an adapter written by the Java trainer into PEFT and compares outputs with Java's.

Run the Java test first (it writes training-driver/target/peft-export/):
    mvn -o -q -pl training-driver test -Dtest=PeftExportTest
    /work/venv-ref/bin/python scripts/reference/check_java_adapter.py
The base model is the fixture checkpoint; the latent head is loaded from the NV-Embed-named
latent_attention.safetensors into the reference head of make_fixtures.py.
"""
import json
import pathlib

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import MistralConfig, MistralForCausalLM

from make_fixtures import CFG, LAT, LatentAttention

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "training-driver" / "src" / "test" / "resources" / "fixtures"
EXPORT = ROOT / "training-driver" / "target" / "peft-export"


def main():
    config = MistralConfig(**CFG)
    config.is_causal = False
    config._attn_implementation = "eager"
    model = MistralForCausalLM(config).eval()
    index = json.loads((FIX / "model.safetensors.index.json").read_text(encoding="utf-8"))
    state = {}
    for shard in sorted(set(index["weight_map"].values())):
        state.update(load_file(str(FIX / shard)))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["lm_head.weight"] and not unexpected, (missing, unexpected)
    for layer in model.model.layers:
        layer.self_attn.is_causal = False
    peft_model = PeftModel.from_pretrained(model, str(EXPORT)).eval()
    head = LatentAttention(64, **LAT).eval()
    head_state = load_file(str(EXPORT / "latent_attention.safetensors"))
    head.load_state_dict({k.removeprefix("latent_attention_model."): v for k, v in head_state.items()})

    io = load_file(str(FIX / "expected.safetensors"))
    java = load_file(str(EXPORT / "java_outputs.safetensors"))
    ids, mask, pool = io["input_ids"].long(), io["attention_mask"].long(), io["pool_mask"].long()
    with torch.no_grad():
        hidden = peft_model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        emb = head(hidden, pool)
    valid = mask.bool().unsqueeze(-1)
    dh = ((hidden - java["hidden_java"]).abs() * valid).max().item()
    de = (emb - java["emb_java"]).abs().max().item()
    lora_b = sum(p.abs().sum().item() for n, p in peft_model.named_parameters() if "lora_B" in n)
    print(f"PEFT loaded the Java adapter: sum|B|={lora_b:.3f}; max|diff| hidden={dh:.2e} embedding={de:.2e}")
    assert lora_b > 0 and dh < 1e-4 and de < 1e-4


if __name__ == "__main__":
    main()
