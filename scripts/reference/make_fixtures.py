#!/usr/bin/env python3
"""Builds the reference fixtures that the Java tests of training-driver compare against.

Everything here is the *reference* side: a tiny Mistral built with Hugging Face `transformers`
(seeded random weights, bidirectional attention through `config.is_causal = False`), a PEFT LoRA
adapter with non-zero B, and a PyTorch latent-attention head written from the NV-Embed
description (RECIPE.md, "Details from the public NV-Embed model code"). It writes weights,
inputs and expected outputs as small safetensors files into
training-driver/src/test/resources/fixtures/. The Java tests only read those files.

It also writes two more fixture sets, each regenerated on its own so the others stay
byte-identical (`--only`):
  - `llama`: a tiny random LlamaForCausalLM (tied embeddings, head_dim != hidden/heads, a
    transformers-5 `rope_parameters` config, rms_norm_eps 1e-6) saved with save_pretrained, with
    its bidirectional and causal last hidden states, into src/test/resources/fixtures-llama/;
  - `tokenizers`: two small SentencePiece-layout tokenizer.json files (the Llama/Mistral
    `Prepend + Replace` normalizer layout and the `Metaspace` pre-tokenizer layout), into
    src/test/resources/tokenizers/.

Usage (CPU is fine):
    python3 -m venv /work/venv-ref
    /work/venv-ref/bin/pip install -r scripts/reference/requirements.txt
    /work/venv-ref/bin/python scripts/reference/make_fixtures.py [--only mistral|llama|tokenizers]
"""
import argparse
import json
import os
import pathlib
import shutil

import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "training-driver" / "src" / "test" / "resources"
OUT = RESOURCES / "fixtures"
OUT_LLAMA = RESOURCES / "fixtures-llama"
OUT_TOKENIZERS = RESOURCES / "tokenizers"
SEED = 20240522

# Tiny shapes: small files, but every feature exercised (GQA with 2 groups, 2 layers).
CFG = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
    vocab_size=1000,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
    sliding_window=None,
    tie_word_embeddings=False,
    max_position_embeddings=512,
)
LORA_R, LORA_ALPHA, LORA_DROPOUT = 8, 16, 0.1
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LAT = dict(num_latents=16, latent_dim=64, heads=8, head_dim=8, mult=4)


class LatentAttention(torch.nn.Module):
    """NV-Embed's latent-attention pooling, written from the description.

    H1 = H + to_out(MHA(to_q(LN(H)), split(to_kv(LN_ctx(latents)))))   (no attention mask)
    H2 = H1 + Linear(GEGLU(Linear(LN_ff(H1))))                          (or plain GELU)
    e  = normalize(masked_mean(H2, pool_mask))
    Module names mirror NV-Embed's checkpoint keys (cross_attend_blocks.0.fn.to_q, ...).
    """

    def __init__(self, hidden, num_latents, latent_dim, heads, head_dim, mult, gated=True):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim, self.gated = heads, head_dim, gated
        self.latents = torch.nn.Parameter(torch.randn(num_latents, latent_dim))
        attn = torch.nn.Module()
        attn.norm = torch.nn.LayerNorm(hidden)
        attn.norm_context = torch.nn.LayerNorm(latent_dim)
        attn.fn = torch.nn.Module()
        attn.fn.to_q = torch.nn.Linear(hidden, inner, bias=False)
        attn.fn.to_kv = torch.nn.Linear(latent_dim, 2 * inner, bias=False)
        attn.fn.to_out = torch.nn.Linear(inner, hidden, bias=False)
        ff = torch.nn.Module()
        ff.norm = torch.nn.LayerNorm(hidden)
        ff.fn = torch.nn.Module()
        width = hidden * mult
        ff.fn.net = torch.nn.Sequential(
            torch.nn.Linear(hidden, 2 * width if gated else width),
            torch.nn.Identity(),
            torch.nn.Linear(width, hidden),
        )
        self.cross_attend_blocks = torch.nn.ModuleList([attn, ff])

    def transform(self, h):
        attn, ff = self.cross_attend_blocks
        b, n, _ = h.shape
        x = attn.norm(h)
        ctx = attn.norm_context(self.latents)
        q = attn.fn.to_q(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        k, v = attn.fn.to_kv(ctx).chunk(2, dim=-1)
        k = k.view(-1, self.heads, self.head_dim).transpose(0, 1).unsqueeze(0)
        v = v.view(-1, self.heads, self.head_dim).transpose(0, 1).unsqueeze(0)
        k, v = k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1)
        o = F.scaled_dot_product_attention(q, k, v)
        o = o.transpose(1, 2).reshape(b, n, -1)
        h1 = h + attn.fn.to_out(o)
        z = ff.fn.net[0](ff.norm(h1))
        if self.gated:
            a, gates = z.chunk(2, dim=-1)
            act = a * F.gelu(gates)
        else:
            act = F.gelu(z)
        return h1 + ff.fn.net[2](act)

    def forward(self, h, pool_mask):
        return normalize(masked_mean(self.transform(h), pool_mask))


def masked_mean(h, mask):
    m = mask.unsqueeze(-1).float()
    return (h * m).sum(1) / m.sum(1)


def normalize(x):
    return F.normalize(x, p=2, dim=-1)


def last_token(h, mask):
    idx = mask.sum(1).long() - 1
    return h[torch.arange(h.shape[0]), idx]


def perturb_norms(module, gen):
    """Norm weights of 1 would hide a missing multiply; make them differ from 1 and 0."""
    for name, p in module.named_parameters():
        if "norm" in name:
            with torch.no_grad():
                p.add_(0.1 * torch.randn(p.shape, generator=gen))


def set_causal(model, causal):
    model.config.is_causal = causal
    for layer in model.model.layers:
        layer.self_attn.is_causal = causal


def both_masks(model, ids, mask):
    """Last hidden states with the bidirectional (NV-Embed) and the causal mask; leaves the model
    bidirectional. Sanity: bidirectional means position 0 sees a change at position 5, causal
    means positions before 5 do not."""
    with torch.no_grad():
        set_causal(model, False)
        hidden_base = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        ids2 = ids.clone()
        ids2[0, 5] = 7
        changed = model.model(input_ids=ids2, attention_mask=mask).last_hidden_state
        assert not torch.allclose(changed[0, 0], hidden_base[0, 0]), "mask is still causal"
        set_causal(model, True)
        hidden_causal = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        unchanged = model.model(input_ids=ids2, attention_mask=mask).last_hidden_state
        assert torch.allclose(unchanged[0, :5], hidden_causal[0, :5]), "mask is not causal"
        assert not torch.allclose(hidden_causal, hidden_base)
        set_causal(model, False)
    return hidden_base, hidden_causal


def build_inputs(gen):
    lengths = [12, 9, 5]
    instruct = [4, 0, 3]  # instruction tokens after BOS (queries) or none (documents)
    b, n = len(lengths), max(lengths)
    ids = torch.zeros(b, n, dtype=torch.long)
    mask = torch.zeros(b, n, dtype=torch.long)
    pool = torch.zeros(b, n, dtype=torch.long)
    for i, length in enumerate(lengths):
        body = torch.randint(3, CFG["vocab_size"], (length - 2,), generator=gen)
        ids[i, :length] = torch.cat([torch.tensor([1]), body, torch.tensor([2])])
        mask[i, :length] = 1
        pool[i, :length] = 1
        pool[i, : 1 + instruct[i]] = 0  # BOS + instruction prefix excluded from pooling
    return ids, mask, pool


def mistral():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "adapter").mkdir(parents=True)

    config = MistralConfig(**CFG)
    config._attn_implementation = "eager"
    model = MistralForCausalLM(config).eval()
    perturb_norms(model, gen)

    ids, mask, pool = build_inputs(gen)
    hidden_base, hidden_causal = both_masks(model, ids, mask)

    # Base checkpoint in two shards + index, with the decoder's names (lm_head dropped to keep
    # the fixture small; the Java loader ignores it anyway).
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k.startswith("model.")}
    names = sorted(state)
    half = len(names) // 2
    shards = {
        "model-00001-of-00002.safetensors": names[:half],
        "model-00002-of-00002.safetensors": names[half:],
    }
    weight_map = {}
    for shard, keys in shards.items():
        save_file({k: state[k] for k in keys}, str(OUT / shard), metadata={"format": "pt"})
        weight_map.update({k: shard for k in keys})
    (OUT / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map}, indent=1), encoding="utf-8"
    )
    cfg_json = dict(CFG, architectures=["MistralForCausalLM"], model_type="mistral")
    (OUT / "config.json").write_text(json.dumps(cfg_json, indent=1), encoding="utf-8")

    # LoRA with non-zero B (PEFT initialises B to zero; a zero B would test nothing).
    lora_cfg = LoraConfig(
        r=LORA_R,
        lora_alpha=LORA_ALPHA,
        lora_dropout=LORA_DROPOUT,
        target_modules=LORA_TARGETS,
        bias="none",
    )
    peft_model = get_peft_model(model, lora_cfg).eval()
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
    peft_model.save_pretrained(str(OUT / "adapter"))
    (OUT / "adapter" / "README.md").unlink(missing_ok=True)  # PEFT's model-card template
    # PEFT keeps target_modules as a set: sort it so the fixture does not depend on hash seeds.
    adapter_cfg_path = OUT / "adapter" / "adapter_config.json"
    adapter_cfg = json.loads(adapter_cfg_path.read_text(encoding="utf-8"))
    adapter_cfg["target_modules"] = sorted(adapter_cfg["target_modules"])
    adapter_cfg_path.write_text(json.dumps(adapter_cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    with torch.no_grad():
        hidden_lora = peft_model.base_model.model.model(
            input_ids=ids, attention_mask=mask
        ).last_hidden_state

    head = LatentAttention(64, **LAT).eval()
    head_gelu = LatentAttention(64, **LAT, gated=False).eval()
    for h in (head, head_gelu):
        perturb_norms(h, gen)
        with torch.no_grad():
            for name, p in h.named_parameters():
                if name.endswith("bias"):
                    p.add_(0.1 * torch.randn(p.shape, generator=gen))
    with torch.no_grad():
        emb_latent = head(hidden_lora, pool)
        emb_latent_gelu = head_gelu(hidden_lora, pool)
        emb_mean = normalize(masked_mean(hidden_lora, pool))
        emb_last = normalize(last_token(hidden_lora, mask))

    def head_state(h):
        return {"latent_attention_model." + k: v.contiguous() for k, v in h.state_dict().items()}

    save_file(head_state(head), str(OUT / "adapter" / "latent_attention.safetensors"))
    save_file(head_state(head_gelu), str(OUT / "latent_gelu.safetensors"))

    f32 = lambda t: t.detach().float().contiguous()  # noqa: E731
    save_file(
        {
            "input_ids": f32(ids),
            "attention_mask": f32(mask),
            "pool_mask": f32(pool),
            "hidden_base": f32(hidden_base),
            "hidden_base_causal": f32(hidden_causal),
            "hidden_lora": f32(hidden_lora),
            "emb_latent": f32(emb_latent),
            "emb_latent_gelu": f32(emb_latent_gelu),
            "emb_mean": f32(emb_mean),
            "emb_last": f32(emb_last),
        },
        str(OUT / "expected.safetensors"),
    )

    # bf16 fixture for the loader: values written by torch in bfloat16, expected float32 values.
    w = torch.randn(6, 10, generator=gen)
    w_bf16 = w.to(torch.bfloat16)
    save_file({"w": w_bf16, "emb": state["model.embed_tokens.weight"][:4].to(torch.bfloat16)},
              str(OUT / "bf16.safetensors"))
    save_file({"w": w_bf16.float(), "emb": state["model.embed_tokens.weight"][:4].to(torch.bfloat16).float()},
              str(OUT / "bf16_expected.safetensors"))

    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"wrote {OUT} ({total / 1024:.0f} KiB), torch {torch.__version__}")
    assert total < 5 * 1024 * 1024


# Llama: tied embeddings (no lm_head in the checkpoint), head_dim 16 while hidden / heads = 12,
# rms_norm_eps 1e-6, rope_theta 1e5 inside transformers-5 rope_parameters, no sliding window.
LLAMA_CFG = dict(
    {k: v for k, v in CFG.items() if k not in ("rope_theta", "sliding_window")},
    hidden_size=48,
    intermediate_size=96,
    rms_norm_eps=1e-6,
    rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
    tie_word_embeddings=True,
    attention_bias=False,
    mlp_bias=False,
)


def llama():
    torch.manual_seed(SEED + 1)
    gen = torch.Generator().manual_seed(SEED + 1)
    shutil.rmtree(OUT_LLAMA, ignore_errors=True)
    config = LlamaConfig(**LLAMA_CFG)
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config).eval()
    perturb_norms(model, gen)
    ids, mask, _ = build_inputs(gen)
    hidden_base, hidden_causal = both_masks(model, ids, mask)
    model.save_pretrained(str(OUT_LLAMA), safe_serialization=True)
    (OUT_LLAMA / "generation_config.json").unlink(missing_ok=True)
    cfg = json.loads((OUT_LLAMA / "config.json").read_text(encoding="utf-8"))
    cfg.pop("is_causal", None)  # saved as published (a causal LM), not with our switch
    (OUT_LLAMA / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert "rope_parameters" in cfg and "rope_theta" not in cfg, cfg
    assert cfg["tie_word_embeddings"] is True, cfg
    f32 = lambda t: t.detach().float().contiguous()  # noqa: E731
    save_file(
        {
            "input_ids": f32(ids),
            "attention_mask": f32(mask),
            "hidden_base": f32(hidden_base),
            "hidden_base_causal": f32(hidden_causal),
        },
        str(OUT_LLAMA / "expected.safetensors"),
    )
    total = sum(f.stat().st_size for f in OUT_LLAMA.rglob("*") if f.is_file())
    print(f"wrote {OUT_LLAMA} ({total / 1024:.0f} KiB): {sorted(p.name for p in OUT_LLAMA.iterdir())}")
    assert total < 1024 * 1024


# SentencePiece-style BPE trained on a few lines: words carry their leading "▁" (the space), so
# in "...\nQuery: what" the token "▁what" starts on the last character of the instruction prefix.
TOKENIZER_CORPUS = [
    "Instruct: Given a web search query, retrieve relevant passages\nQuery: what is the capital",
    "what is a cat",
    "the capital of france is paris",
    "Query: what",
] * 3


def sentencepiece_tokenizer(layout):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True))
    # Train with whitespace splitting (as SentencePiece does), then switch to the saved layout.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=150, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False
    )
    tok.train_from_iterator(TOKENIZER_CORPUS, trainer)
    if layout == "prepend":  # Llama-2 / Mistral tokenizer.json (legacy SentencePiece conversion)
        tok.pre_tokenizer = None
        tok.normalizer = normalizers.Sequence(
            [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
        )
        tok.decoder = decoders.Sequence(
            [decoders.Replace("▁", " "), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
        )
    else:  # newer conversions: Metaspace pre-tokenizer, no normalizer
        tok.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement="▁", prepend_scheme="first", split=False
        )
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    return tok


def tokenizers_part():
    OUT_TOKENIZERS.mkdir(parents=True, exist_ok=True)
    text = "Instruct: Given a web search query\nQuery: what is the capital"
    for layout in ("prepend", "metaspace"):
        tok = sentencepiece_tokenizer(layout)
        enc = tok.encode(text)
        i = enc.tokens.index("▁what")
        assert enc.offsets[i][0] == text.index(" what"), "▁what must start on the prefix's space"
        tok.save(str(OUT_TOKENIZERS / f"sentencepiece-{layout}.json"))
        print(layout, list(zip(enc.tokens, enc.offsets)))


PARTS = {"mistral": mistral, "llama": llama, "tokenizers": tokenizers_part}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(PARTS), help="regenerate one fixture set")
    args = parser.parse_args()
    for name, part in PARTS.items():
        if args.only in (None, name):
            part()


if __name__ == "__main__":
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    main()
