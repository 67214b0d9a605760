"""The model `embedforge export` writes, read by the real libraries: SentenceTransformer(...,
trust_remote_code=True).encode equals `embedforge embed` (Java) within 1e-5; AutoTokenizer has its
special tokens; the card has Hugging Face metadata; files are 0644; it loads from any directory."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import EMBEDFORGE, REPO_ROOT, SOURCES
from test_export import snippet

TOLERANCE = 1e-5
RETRIEVAL = SOURCES["msmarco"][1]  # "Given a web search query, retrieve relevant passages"
QUERIES = [
    "msmarco question 3 about topic 3",
    "what is topic 12 and why does it matter?",
    "A query long enough to be truncated at the configured maximum length of thirty-two tokens,"
    " which this sentence exceeds by a wide margin.",
]
DOCUMENTS = [
    "msmarco passage answering topic 3 number 3",
    "nq unrelated passage 5 2",
    "Ünïcödé text, CJK 中文 and an emoji 🙂 in one passage",
]


def cli(*args: str) -> str:
    env = dict(os.environ, EMBEDFORGE_JAVA_OPTS=os.environ.get("EMBEDFORGE_JAVA_OPTS", "-Xmx2g"))
    done = subprocess.run([str(EMBEDFORGE), *args], capture_output=True, text=True, env=env,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="session")
def run(blend: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model trained one update per stage on the test blend."""
    root = tmp_path_factory.mktemp("train")
    conf = (REPO_ROOT / "conf" / "train-tiny.yaml").read_text(encoding="utf-8")
    conf = (conf.replace("max_length: 64", "max_length: 32")
            .replace("batch_size: 16", "batch_size: 8")
            .replace("stage1_max_steps: 0", "stage1_max_steps: 1")
            .replace("stage2_max_steps: 0", "stage2_max_steps: 1")
            .replace("max_negatives: 7 ", "max_negatives: 1 "))
    (root / "train.yaml").write_text(conf, encoding="utf-8")
    cli("train", "--config", str(root / "train.yaml"), "--blend", str(blend),
        "--run", str(root / "run"))
    return root / "run"


@pytest.fixture(scope="session")
def exported(run: Path) -> dict[str, Path]:
    """The run exported twice: adapter + base (the module folds LoRA in) and with --merged."""
    out = run.parent
    conf = str(run.parent / "train.yaml")
    cli("export", "--config", conf, "--run", str(run), "--out", str(out / "model"))
    cli("export", "--config", conf, "--run", str(run), "--out", str(out / "model-merged"),
        "--merged")
    return {"adapter": out / "model", "merged": out / "model-merged"}


@pytest.fixture(scope="session")
def java(run: Path, exported: dict[str, Path]) -> dict[str, np.ndarray]:
    """`embedforge embed` of the queries (with the instruction) and the documents."""
    folder = run.parent / "embed"
    folder.mkdir()
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"id": f"q{i}", "text": q}) + "\n" for i, q in enumerate(QUERIES)),
        encoding="utf-8")
    (folder / "documents.txt").write_text("\n".join(DOCUMENTS) + "\n", encoding="utf-8")
    cli("embed", "--model", str(exported["adapter"]), "--input", str(folder / "queries.jsonl"),
        "--text-field", "text", "--instruction", RETRIEVAL, "--out", str(folder / "q.parquet"))
    cli("embed", "--model", str(exported["adapter"]), "--input", str(folder / "documents.txt"),
        "--out", str(folder / "d.parquet"))
    out = {}
    for name, texts in (("q", QUERIES), ("d", DOCUMENTS)):
        table = pq.read_table(folder / f"{name}.parquet")
        assert table.column_names == ["id", "text", "embedding"]
        assert table.schema.field("embedding").type.value_type == "float32"
        assert table["text"].to_pylist() == texts
        out[name] = np.array(table["embedding"].to_pylist(), dtype=np.float32)
        manifest = json.loads((folder / f"{name}.manifest.json").read_text(encoding="utf-8"))
        assert manifest["rows_read"] == manifest["rows_embedded"] == len(texts)
    return out


def load(folder: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), trust_remote_code=True, device="cpu")


@pytest.mark.parametrize("kind", ["adapter", "merged"])
def test_sentence_transformers_encode_equals_embedforge_embed(exported, java, kind, tmp_path,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)  # loads from any current directory
    model = load(exported[kind])
    prompt = f"Instruct: {RETRIEVAL}\nQuery: "
    name = [k for k, v in model.prompts.items() if v == prompt]
    assert name, model.prompts  # one prompt per task instruction of the blend
    queries = model.encode(QUERIES, prompt_name=name[0], batch_size=2)
    documents = model.encode(DOCUMENTS, batch_size=2)
    assert queries.dtype == np.float32
    assert np.abs(queries - java["q"]).max() < TOLERANCE
    assert np.abs(documents - java["d"]).max() < TOLERANCE
    assert np.allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-6)
    # the instruction changes the query embeddings: the comparison above can fail
    plain = model.encode(QUERIES)
    assert np.abs(plain - java["q"]).max() > 100 * TOLERANCE


def test_the_adapter_is_applied(exported, java):
    """Without the LoRA update the embeddings differ: the module does fold the adapter in."""
    model = load(exported["adapter"])
    module = model[0]
    from safetensors.torch import load_file
    import torch

    adapter = load_file(str(exported["adapter"] / "adapter_model.safetensors"))
    key = next(k for k in adapter if ".lora_B." in k)
    assert adapter[key].abs().sum() > 0, "training made LoRA B non-zero"
    scaling = module.meta["lora"]["scaling"]
    params = dict(module.decoder.named_parameters())
    with torch.no_grad():  # undo the update of every adapted weight
        for k, a in adapter.items():
            if ".lora_A." in k:
                b = adapter[k.replace(".lora_A.", ".lora_B.")]
                name = k.removeprefix("base_model.model.model.").replace(".lora_A.", ".")
                params[name] -= scaling * (b @ a)
    assert np.abs(model.encode(DOCUMENTS) - java["d"]).max() > 100 * TOLERANCE


def test_tokenizer_has_special_tokens_and_pads_right(exported):
    from transformers import AutoTokenizer

    meta = json.loads((exported["adapter"] / "embedforge.json").read_text(encoding="utf-8"))
    tok = AutoTokenizer.from_pretrained(str(exported["adapter"]))
    assert tok.bos_token_id == meta["bos_token_id"] and tok.bos_token
    assert tok.eos_token_id == meta["eos_token_id"] and tok.eos_token
    assert tok.pad_token_id == meta["pad_token_id"] and tok.pad_token
    assert tok.padding_side == "right"
    batch = tok(["a", "a longer text"], padding=True)  # raised without a pad token
    assert batch["input_ids"][0][-1] == tok.pad_token_id


def test_card_has_hugging_face_metadata_and_files_are_readable(exported, capfd):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM

    folder = exported["merged"]
    card = ModelCard.load(str(folder / "README.md"))
    assert card.data.library_name == "sentence-transformers"
    assert card.data.pipeline_tag == "sentence-similarity"
    assert "sentence-transformers" in card.data.tags
    assert sorted(card.data.datasets) == sorted(SOURCES)
    for path in folder.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
    adapter = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    assert Path(adapter["base_model_name_or_path"]).is_absolute()
    assert Path(adapter["base_model_name_or_path"]) == (folder / "base").resolve()
    # the card's transformers recipe loads base/ without a MISSING lm_head in the load report
    capfd.readouterr()
    for sub in ("base", "merged"):
        AutoModelForCausalLM.from_pretrained(str(folder / sub), attn_implementation="eager")
    printed = capfd.readouterr()
    assert "MISSING" not in printed.out + printed.err


def test_readme_encode_snippet_runs(exported, java):
    code = snippet("encode").replace('"out/local/model"', repr(str(exported["adapter"])))
    scope: dict = {}
    exec(compile(code, "README.md:encode", "exec"), scope)
    assert scope["queries"].shape == (1, java["q"].shape[1])
    assert np.allclose(np.linalg.norm(scope["documents"], axis=1), 1.0, atol=1e-6)


def test_readme_mteb_snippet_evaluates_offline_with_the_query_prompt(exported, monkeypatch):
    """mteb evaluates the exported model on a local task, with the instruction on the queries
    only (the prompts mteb passes to encode are recorded)."""
    from sentence_transformers import SentenceTransformer

    seen = []
    encode = SentenceTransformer.encode

    def recording(self, *args, **kwargs):
        seen.append((len(args[0]) if args else None, kwargs.get("prompt")))
        return encode(self, *args, **kwargs)

    monkeypatch.setattr(SentenceTransformer, "encode", recording)
    code = snippet("mteb").replace('"out/local/model"', repr(str(exported["adapter"])))
    scope: dict = {}
    exec(compile(code, "README.md:mteb", "exec"), scope)
    score = scope["result"].task_results[0].get_score()
    assert 0 < score <= 1
    prompts = [p for _, p in seen]
    assert scope["prompt"] in prompts, seen  # the queries
    assert any(not p for p in prompts), seen  # the documents, without instruction
