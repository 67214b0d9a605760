"""EmbedForge NV-Embed model as a sentence-transformers input module (written by `embedforge export`).

Load with ``SentenceTransformer(path, trust_remote_code=True)``; ``modules.json`` names this class,
then sentence-transformers' ``Normalize``. It computes what the Java trainer computes:

- tokens: BOS + text tokens + EOS (no other special tokens), the text truncated to
  ``max_length - 2`` tokens, right-padded with ``pad_token_id``; a prompt (the task instruction as
  ``Instruct: {instruction}\\nQuery: ``, see ``prompts`` in config_sentence_transformers.json) is
  prepended to the text;
- the decoder (Mistral or Llama) with bidirectional attention: ``merged/`` if the export has it,
  else the base model (``base/`` or the recorded path) with the LoRA adapter
  (``adapter_model.safetensors``) folded into its weights at load time, ``W + (alpha/r) B A``;
- the latent-attention head (``latent_attention.safetensors``), then the mean over the pooling
  mask: every real token except BOS and the prompt's tokens, a token being a prompt token only if it
  ends at or before the end of the prompt (character offsets).

Needs torch, transformers, tokenizers, safetensors; no PEFT.
"""

from __future__ import annotations

import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from sentence_transformers.base.modules import InputModule
from tokenizers import Tokenizer
from transformers import AutoModel

META = "embedforge.json"
PEFT_PREFIX = "base_model.model.model."


class LatentAttention(torch.nn.Module):
    """NV-Embed's latent-attention pooling head; parameter names as in NV-Embed's checkpoint.

    H1 = H + to_out(MHA(to_q(LN(H)), split(to_kv(LN_ctx(latents)))));  H2 = H1 + FF(LN_ff(H1)),
    FF = Linear -> GEGLU (or GELU) -> Linear. Returns H2 per token (pooling is done by the caller).
    """

    def __init__(self, hidden: int, spec: dict):
        super().__init__()
        self.heads, self.head_dim, self.gated = spec["heads"], spec["head_dim"], spec["gated"]
        inner = self.heads * self.head_dim
        eps = spec.get("layer_norm_eps", 1e-5)
        self.latents = torch.nn.Parameter(torch.zeros(spec["num_latents"], spec["latent_dim"]))
        attn = torch.nn.Module()
        attn.norm = torch.nn.LayerNorm(hidden, eps=eps)
        attn.norm_context = torch.nn.LayerNorm(spec["latent_dim"], eps=eps)
        attn.fn = torch.nn.Module()
        attn.fn.to_q = torch.nn.Linear(hidden, inner, bias=False)
        attn.fn.to_kv = torch.nn.Linear(spec["latent_dim"], 2 * inner, bias=False)
        attn.fn.to_out = torch.nn.Linear(inner, hidden, bias=False)
        ff = torch.nn.Module()
        ff.norm = torch.nn.LayerNorm(hidden, eps=eps)
        ff.fn = torch.nn.Module()
        width = hidden * spec["ff_mult"]
        ff.fn.net = torch.nn.Sequential(
            torch.nn.Linear(hidden, 2 * width if self.gated else width),
            torch.nn.Identity(),
            torch.nn.Linear(width, hidden),
        )
        self.cross_attend_blocks = torch.nn.ModuleList([attn, ff])

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        attn, ff = self.cross_attend_blocks
        b, n, _ = h.shape
        q = attn.fn.to_q(attn.norm(h)).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        k, v = attn.fn.to_kv(attn.norm_context(self.latents)).chunk(2, dim=-1)
        k = k.view(-1, self.heads, self.head_dim).transpose(0, 1).unsqueeze(0).expand(b, -1, -1, -1)
        v = v.view(-1, self.heads, self.head_dim).transpose(0, 1).unsqueeze(0).expand(b, -1, -1, -1)
        scores = q @ k.transpose(-1, -2) / (self.head_dim**0.5)
        o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, -1)
        h1 = h + attn.fn.to_out(o)
        z = ff.fn.net[0](ff.norm(h1))
        if self.gated:
            a, gates = z.chunk(2, dim=-1)
            act = a * F.gelu(gates)
        else:
            act = F.gelu(z)
        return h1 + ff.fn.net[2](act)


class EmbedForgeNvEmbed(InputModule):
    """Tokeniser, bidirectional decoder and latent-attention pooling of an EmbedForge export."""

    config_keys = ["max_length"]
    config_file_name = META

    def __init__(self, folder: str):
        super().__init__()
        self.folder = os.path.abspath(folder)
        with open(os.path.join(self.folder, META), encoding="utf-8") as f:
            self.meta = json.load(f)
        meta = self.meta
        self.max_length = meta["max_length"]
        self.bos, self.eos, self.pad = meta["bos_token_id"], meta["eos_token_id"], meta["pad_token_id"]
        self.tokenizer = Tokenizer.from_file(os.path.join(self.folder, "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        merged = meta.get("merged_folder")
        decoder_dir = os.path.join(self.folder, merged) if merged else self._base_dir()
        self.decoder = AutoModel.from_pretrained(
            decoder_dir, attn_implementation="eager", dtype=torch.float32
        )
        if not merged:
            self._merge_lora()
        self.decoder.config.is_causal = False  # NV-Embed: bidirectional attention
        for layer in self.decoder.layers:
            layer.self_attn.is_causal = False
        self.decoder.eval()
        self.head = LatentAttention(self.decoder.config.hidden_size, meta["latent_attention"])
        state = load_file(os.path.join(self.folder, "latent_attention.safetensors"))
        self.head.load_state_dict(
            {k.removeprefix("latent_attention_model."): v.float() for k, v in state.items()}
        )
        self.head.eval()

    def _base_dir(self) -> str:
        meta = self.meta
        if meta["base_model_exported"]:
            return os.path.join(self.folder, meta["base_model_folder"])
        return meta["base_model_folder"]

    @torch.no_grad()
    def _merge_lora(self) -> None:
        """Folds W + scaling * B A into the decoder (the adapter's PEFT key names)."""
        adapter = load_file(os.path.join(self.folder, "adapter_model.safetensors"))
        scaling = self.meta["lora"]["scaling"]
        params = dict(self.decoder.named_parameters())
        for key, a in adapter.items():
            if ".lora_A." not in key:
                continue
            stem = key.removeprefix(PEFT_PREFIX).replace(".lora_A.weight", "")
            b = adapter[key.replace(".lora_A.", ".lora_B.")]
            weight = params[stem + ".weight"]
            weight += (scaling * (b.float() @ a.float())).to(weight.dtype)

    def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict[str, torch.Tensor]:
        prefix = prompt or ""
        rows, spans = [], []
        for text in inputs:
            enc = self.tokenizer.encode(prefix + text, add_special_tokens=False)
            keep = min(len(enc.ids), self.max_length - 2)
            span = 0
            while prefix and span < keep and enc.offsets[span][1] <= len(prefix):
                span += 1
            rows.append([self.bos] + enc.ids[:keep] + [self.eos])
            spans.append(span)
        n = max(len(r) for r in rows)
        ids = torch.full((len(rows), n), self.pad, dtype=torch.long)
        mask = torch.zeros(len(rows), n, dtype=torch.long)
        pool = torch.zeros(len(rows), n, dtype=torch.long)
        for i, (r, span) in enumerate(zip(rows, spans)):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
            pool[i, span + 1 : len(r)] = 1  # BOS and the prompt's tokens are not pooled
        return {"input_ids": ids, "attention_mask": mask, "pool_mask": pool}

    def forward(self, features: dict[str, torch.Tensor], **kwargs) -> dict[str, torch.Tensor]:
        hidden = self.decoder(
            input_ids=features["input_ids"], attention_mask=features["attention_mask"]
        ).last_hidden_state
        tokens = self.head(hidden.float())
        m = features["pool_mask"].unsqueeze(-1).to(tokens.dtype)
        features["token_embeddings"] = tokens
        features["sentence_embedding"] = (tokens * m).sum(1) / m.sum(1)
        return features

    def get_embedding_dimension(self) -> int:
        return self.decoder.config.hidden_size

    def get_sentence_embedding_dimension(self) -> int:
        return self.get_embedding_dimension()

    def get_max_seq_length(self) -> int:
        return self.max_length

    @property
    def max_seq_length(self) -> int:
        return self.max_length

    def save(self, output_path: str, *args, safe_serialization: bool = True, **kwargs) -> None:
        raise NotImplementedError(
            "an EmbedForge export is written by `embedforge export`, not re-saved from Python"
        )

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs) -> "EmbedForgeNvEmbed":
        return cls(os.path.join(model_name_or_path, subfolder))
