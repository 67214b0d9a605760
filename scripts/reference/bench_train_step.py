#!/usr/bin/env python3
"""PyTorch side of the training-step benchmark (see TrainingLoopBenchmark.java).

The same full step as the Java plain step, on the batch Java wrote (batch.json: texts, candidate
mask, positives, optimizer settings): tokenise (same tokenizer.json, checked against Java's ids),
zero grads, forward of all sequences (tiny Mistral of MistralConfig.tiny(), bidirectional, PEFT
LoRA r16/a32/dropout 0.1 on all 7 projections, latent-attention head 512 latents / 8 heads of 32 /
GEGLU x4), masked InfoNCE (temperature 0.02), backward, global-norm clipping, AdamW.

If batch.json names a base_model (TrainingLoopBenchmark run with a train config such as
conf/train-smollm2.yaml), that Hugging Face folder is loaded instead (e.g. SmolLM2, Llama), with a
latent head of the paper's shape for its hidden size (512 latents, 8 heads of width hidden).

With a chunk size (4th argument, > 0) the step is GradCache's, as the Java trainer's
GradCache.step: tokenise each chunk of `chunk` sequences on its own (padded to its longest), embed
every chunk without a graph, InfoNCE and its gradient with respect to the embeddings, then re-run
each chunk with a graph (the RNG state restored, so LoRA dropout draws the same masks) and
back-propagate the cached gradient into it. The process's peak resident memory (ru_maxrss) is
printed at the end.

Usage: OMP_NUM_THREADS=2 python bench_train_step.py <dump folder> [steps] [threads] [chunk]
"""
import json
import pathlib
import resource
import sys
import time

import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, MistralConfig, MistralForCausalLM

from check_export import load_tokenizer, tokenize
from make_fixtures import LatentAttention


def main():
    dump = pathlib.Path(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    b = json.loads((dump / "batch.json").read_text(encoding="utf-8"))
    java = load_file(str(dump / "java_batch.safetensors"))
    if "base_model" in b:
        base = AutoModelForCausalLM.from_pretrained(b["base_model"], dtype=torch.float32,
                                                    attn_implementation="eager")
        hidden = base.config.hidden_size
        head_shape = dict(num_latents=512, latent_dim=hidden, heads=8, head_dim=hidden, mult=4)
    else:
        cfg = MistralConfig(hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, head_dim=64,
                            rms_norm_eps=1e-5, rope_theta=10000.0, vocab_size=30522,
                            bos_token_id=101, eos_token_id=102, sliding_window=None,
                            tie_word_embeddings=False)
        cfg._attn_implementation = "eager"
        base = MistralForCausalLM(cfg)
        hidden = 256
        head_shape = dict(num_latents=512, latent_dim=256, heads=8, head_dim=32, mult=4)
    base.config.is_causal = False
    for layer in base.model.layers:
        layer.self_attn.is_causal = False
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=b["lora_dropout"], bias="none",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(base, lora).train()
    decoder = model.base_model.model.model
    head = LatentAttention(hidden, **head_shape).train()
    params = [p for p in list(model.parameters()) + list(head.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=b["lr"], betas=(b["beta1"], b["beta2"]), eps=b["epsilon"],
                            weight_decay=b["weight_decay"])
    n_ex = b["examples"]
    positive = torch.tensor(b["positive"])
    allowed = torch.tensor(b["allowed"], dtype=torch.bool).view(n_ex, -1)
    tok_file = load_tokenizer(dump / "tokenizer.json")

    bos, eos = b.get("bos_token_id", 101), b.get("eos_token_id", 102)
    ids, mask, pool = tokenize(tok_file, b["inputs"], b["max_length"], bos, eos)
    assert torch.equal(ids, java["input_ids"].long()) and torch.equal(pool, java["pool_mask"].long())
    tokens = int(mask.sum())

    warmup, tok_s = 1, 0.0
    for step in range(warmup + steps):
        if step == warmup:
            wall, cpu, tok_s = time.perf_counter(), time.process_time(), 0.0
        opt.zero_grad(set_to_none=True)
        if chunk > 0:
            loss, t = gradcache_step(decoder, head, tok_file, b, bos, eos, chunk, allowed, positive)
        else:
            t = time.perf_counter()
            ids, mask, pool = tokenize(tok_file, b["inputs"], b["max_length"], bos, eos)
            t = time.perf_counter() - t
            e = head(decoder(input_ids=ids, attention_mask=mask).last_hidden_state, pool)
            loss = info_nce(e, n_ex, b["temperature"], allowed, positive)
            loss.backward()
        tok_s += t
        torch.nn.utils.clip_grad_norm_(params, b["clip_norm"])
        opt.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mode = f"gradcache chunk={chunk}" if chunk > 0 else "plain"
    print(f"torch train step ({mode}): examples={n_ex} sequences={ids.shape[0]} tokens={tokens} steps={steps} "
          f"threads={threads} s_per_step={wall / steps:.3f} examples_per_s={n_ex * steps / wall:.3f} "
          f"tokens_per_s={tokens * steps / wall:.1f} cpu_s_per_step={cpu / steps:.3f} "
          f"tokenize_s_per_step={tok_s / steps:.4f} loss={loss.item():.4f} torch={torch.__version__}")
    print(f"torch peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")


def info_nce(e, n_ex, temperature, allowed, positive):
    """Masked InfoNCE: queries are the first n_ex embeddings, candidates the rest."""
    q, d = e[:n_ex], e[n_ex:]
    scores = ((q @ d.T) / temperature).masked_fill(~allowed, -1e9)
    return -F.log_softmax(scores, dim=1)[torch.arange(n_ex), positive].mean()


def gradcache_step(decoder, head, tok_file, b, bos, eos, chunk, allowed, positive):
    """GradCache (Gao et al. 2021) as GradCache.step in Java: returns (loss, tokenise seconds)."""
    t = time.perf_counter()
    parts = [tokenize(tok_file, b["inputs"][i:i + chunk], b["max_length"], bos, eos)
             for i in range(0, len(b["inputs"]), chunk)]
    tok_s = time.perf_counter() - t
    states, cached = [], []
    with torch.no_grad():
        for ids, mask, pool in parts:
            states.append(torch.get_rng_state())
            cached.append(head(decoder(input_ids=ids, attention_mask=mask).last_hidden_state, pool))
    e = torch.cat(cached).requires_grad_()
    loss = info_nce(e, b["examples"], b["temperature"], allowed, positive)
    loss.backward()
    grads = e.grad.split([c.shape[0] for c in cached])
    for (ids, mask, pool), state, g in zip(parts, states, grads):
        torch.set_rng_state(state)
        out = head(decoder(input_ids=ids, attention_mask=mask).last_hidden_state, pool)
        out.backward(g)
    return loss.detach(), tok_s


if __name__ == "__main__":
    main()
