#!/usr/bin/env python3
"""PyTorch side of the forward+backward benchmark (see TrainStepBenchmark.java).

Same tiny model as MistralConfig.tiny() + NV-Embed spec: Mistral hidden 256, intermediate 512,
2 layers, 4 heads / 2 kv heads of 64, vocab 30522, bidirectional; PEFT LoRA r16/a32/dropout 0.1 on
all 7 projections; latent head with 512 latents, 8 heads of 32, GEGLU x4. Same step: random ids
(BOS first), loss -sum(e[2i] . e[2i+1]), backward, zero grads. Prints tokens per wall-clock second
and per process CPU second.

Usage: OMP_NUM_THREADS=2 python bench_reference.py [batch] [length] [steps] [threads]
"""
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import MistralConfig, MistralForCausalLM

from make_fixtures import LatentAttention


def main():
    batch, length, steps, threads = (int(a) for a in (sys.argv[1:] + ["8", "128", "10", "2"][len(sys.argv) - 1:]))
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    cfg = MistralConfig(hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, head_dim=64,
                        rms_norm_eps=1e-5, rope_theta=10000.0, vocab_size=30522,
                        bos_token_id=101, eos_token_id=102, sliding_window=None,
                        tie_word_embeddings=False)
    cfg.is_causal = False
    cfg._attn_implementation = "eager"
    base = MistralForCausalLM(cfg)
    for layer in base.model.layers:
        layer.self_attn.is_causal = False
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.1, bias="none",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(base, lora).train()
    decoder = model.base_model.model.model
    head = LatentAttention(256, num_latents=512, latent_dim=256, heads=8, head_dim=32, mult=4).train()
    gen = torch.Generator().manual_seed(7)
    ids = torch.randint(1000, 30522, (batch, length), generator=gen)
    ids[:, 0] = 101
    mask = torch.ones(batch, length, dtype=torch.long)
    pool = mask.clone()
    pool[:, 0] = 0
    params = [p for p in list(model.parameters()) + list(head.parameters()) if p.requires_grad]
    warmup = 2
    for step in range(warmup + steps):
        if step == warmup:
            wall, cpu = time.perf_counter(), time.process_time()
        h = decoder(input_ids=ids, attention_mask=mask).last_hidden_state
        e = head(h, pool)
        loss = -(e[0::2] * e[1::2]).sum()
        loss.backward()
        for p in params:
            p.grad = None
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tokens = batch * length * steps
    print(f"torch batch={batch} length={length} steps={steps} threads={threads} seconds={wall:.2f} "
          f"tokens_per_s={tokens / wall:.1f} cpu_seconds={cpu:.2f} tokens_per_cpu_s={tokens / cpu:.1f} "
          f"torch={torch.__version__}")


if __name__ == "__main__":
    main()
