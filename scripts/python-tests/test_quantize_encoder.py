"""scripts/quantize_encoder.py on a tiny ONNX graph: int8 file, checksum, provenance, idempotence.

Needs onnxruntime and onnx, pinned in scripts/python-tests/requirements.txt as in
scripts/quantize-requirements.txt, so bin/test-all runs it; skipped only in a venv without them
(EMBEDFORGE_PY_VENV). In any venv with those and pytest (no pyarrow needed):
  python -m pytest -q --noconftest scripts/python-tests/test_quantize_encoder.py
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

SCRIPT = Path(__file__).resolve().parents[1] / "quantize_encoder.py"


def load_script():
    spec = importlib.util.spec_from_file_location("quantize_encoder", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_model(path: Path) -> np.ndarray:
    """x[batch, 64] @ W[64, 32]: one MatMul, the op the script quantizes."""
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(7).standard_normal((64, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 32])],
        [numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return w


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_writes_a_checksummed_int8_graph_that_computes_the_same_product(tmp_path):
    fp32 = tmp_path / "model.onnx"
    w = tiny_model(fp32)
    first = run("--onnx", str(fp32))
    assert first.returncode == 0, first.stderr
    int8 = tmp_path / "model.int8.onnx"
    digest = hashlib.sha256(int8.read_bytes()).hexdigest()
    assert (tmp_path / "model.int8.onnx.sha256").read_text() == f"{digest}  model.int8.onnx\n"
    manifest = json.loads((tmp_path / "model.int8.json").read_text())
    assert manifest["sha256"] == digest
    assert manifest["source_sha256"] == hashlib.sha256(fp32.read_bytes()).hexdigest()
    assert manifest["options"]["per_channel"] is True
    ops = {n.op_type for n in onnx.load(str(int8)).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeMatMul" in ops, ops
    x = np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32)
    y = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.abs(y - x @ w).max() < 0.1 * np.abs(x @ w).max()
    assert not np.array_equal(y, x @ w)
    again = run("--onnx", str(fp32))
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout


def test_the_int8_name_rule_matches_the_java_side():
    script = load_script()
    assert script.int8_path(Path("/m/onnx/model.onnx")) == Path("/m/onnx/model.int8.onnx")


def test_bad_input_fails_with_a_message(tmp_path):
    unknown = run("e5-large")
    assert unknown.returncode == 1
    assert "unknown model 'e5-large'; known: e5-small-v2, all-minilm-l6-v2" in unknown.stderr
    missing = run("--onnx", str(tmp_path / "nope.onnx"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    not_onnx = tmp_path / "model.pt"
    not_onnx.write_bytes(b"x")
    wrong = run("--onnx", str(not_onnx))
    assert wrong.returncode == 1 and "is not an .onnx file" in wrong.stderr
