"""`embedforge export-data` read by the real libraries: datasets, sentence-transformers; the
FlagEmbedding and Tevatron records checked against the fields their documentation lists."""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path

import datasets
import pytest
from datasets import load_dataset

from conftest import REPO_ROOT, blend_rows

CONTRACT = [
    "example_id", "stage", "source", "task_type", "instruction", "query", "query_text",
    "positive", "negatives", "negative_scores", "negative_miner", "document_instruction",
    "in_batch_negatives", "batch_index",
]


def expected(stage: str, min_negatives: int = 0) -> list[dict]:
    """The blend rows the export writes, in its order: (batch_index, example_id)."""
    rows = [r for r in blend_rows(stage) if len(r["negatives"]) >= min_negatives]
    return sorted(rows, key=lambda r: (r["batch_index"], r["example_id"]))


def snippet(name: str) -> str:
    """The README's Python snippet marked `<!-- python-snippet: name -->`."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- python-snippet: " + name + r" -->\n```python\n(.*?)```", text, re.S)
    assert match, f"README.md has no python snippet '{name}'"
    return match.group(1)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def jsonl(folder: Path) -> list[dict]:
    rows = []
    for f in sorted(folder.glob("*.json")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    return rows


@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_hf_config_per_stage_returns_exactly_that_stage(exports, stage, caplog):
    datasets.utils.logging.enable_propagation()
    with caplog.at_level(logging.WARNING):
        ds = load_dataset(str(exports["hf"]), stage, split="train")
    assert not [r.getMessage() for r in caplog.records if "dataset card" in r.getMessage()]
    want = expected(stage)
    assert ds.column_names == CONTRACT
    assert ds.num_rows == len(want)
    assert ds["example_id"] == [r["example_id"] for r in want]
    assert set(ds["stage"]) == {stage}
    assert ds[0]["negatives"] == want[0]["negatives"]


def test_another_export_in_a_folder_of_the_same_name_is_not_served_from_the_cache(
    blend, exports, tmp_path
):
    """datasets caches a local folder by its name and card header: the card's sizes tell apart
    two exports named `hf` holding different rows."""
    from conftest import export

    other = export(blend, "hf", tmp_path / "hf", "--min-negatives", "3")
    first = load_dataset(str(exports["hf"]), "stage1", split="train")
    second = load_dataset(str(other), "stage1", split="train")
    assert first.num_rows == len(expected("stage1"))
    assert second.num_rows == len(expected("stage1", 3))


def test_readme_load_snippet_runs(exports):
    code = snippet("load").replace('"out/export-hf"', repr(str(exports["hf"])))
    scope: dict = {}
    exec(compile(code, "README.md:load", "exec"), scope)
    assert scope["stage1"].num_rows == len(expected("stage1"))
    assert scope["stage2"].num_rows == len(expected("stage2"))


def tiny_model(folder: Path) -> Path:
    """A randomly initialised 1-layer BERT with a WordPiece vocabulary of the test's words,
    saved as a model folder (no hub download)."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = set()
    for stage in ("stage1", "stage2"):
        for r in blend_rows(stage):
            for text in [r["query_text"], r["positive"], *r["negatives"]]:
                words.update(re.findall(r"\w+|[^\w\s]", text.lower()))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    folder.mkdir(parents=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_sentence_transformers_export_trains_one_step(exports, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    st = exports["sentence-transformers"]
    train = load_dataset(str(st), "stage1", split="train")
    assert train.column_names == ["anchor", "positive", "negative_1", "negative_2"]
    assert train.num_rows == len(expected("stage1", 2))
    assert train[0]["anchor"].startswith("Instruct: ")
    counts = manifest(st)["stages"]["stage1"]
    for source, read in counts["read"].items():
        dropped = sum(by_source.get(source, 0) for by_source in counts["dropped"].values())
        assert read == counts["written"][source] + dropped
    assert counts["dropped"]["too_few_negatives"]["nq"] == 6  # i % 8 in {0, 1}: 6 of 24

    model_dir = tiny_model(tmp_path / "tiny-bert")
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in SentenceTransformer(str(model_dir)).state_dict().items()}
    code = (
        snippet("train")
        .replace('"out/export-st"', repr(str(st)))
        .replace('"path/to/model"', repr(str(model_dir)))
        .replace('"out/st-run"', repr(str(tmp_path / "st-run")))
    )
    scope: dict = {}
    exec(compile(code, "README.md:train", "exec"), scope)
    output = scope["trainer"].state.log_history
    losses = [e["train_loss"] for e in output if "train_loss" in e]
    assert scope["trainer"].state.global_step == 1
    assert losses and math.isfinite(losses[0]) and losses[0] > 0
    after = scope["model"].state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), "one step changes weights"


def test_flagembedding_records_have_the_documented_fields(exports):
    fe = exports["flagembedding"]
    assert (fe / "stage2-no_in_batch_neg").is_dir()
    ds = load_dataset(str(fe), "stage2", split="train")
    assert ds.num_rows == len(expected("stage2"))
    records = jsonl(fe / "stage2-no_in_batch_neg")
    types = {"retrieval": "normal", "sts": "symmetric_sts", "classification": "symmetric_class"}
    for record, row in zip(records, expected("stage2"), strict=True):
        # FlagEmbedding's finetune data: query: str, pos: List[str], neg: List[str], prompt: str,
        # type: str (pos_scores/neg_scores only for distillation, not written).
        assert list(record) == ["query", "pos", "neg", "prompt", "type"]
        assert isinstance(record["query"], str) and isinstance(record["prompt"], str)
        assert record["pos"] == [row["positive"]] and record["neg"] == row["negatives"]
        assert all(isinstance(t, str) for t in record["pos"] + record["neg"])
        # --query_instruction_format '{}{}' rebuilds the instructed query
        assert "{}{}".format(record["prompt"], record["query"]) == row["query_text"]
        assert record["type"] == types[row["task_type"]]


def test_tevatron_preprocessor_reads_the_export(exports, tmp_path):
    """Tevatron's own train preprocessor (v0.1.0, the PyPI release) tokenises every record."""
    from tevatron.arguments import DataArguments
    from tevatron.datasets import HFTrainDataset
    from transformers import BertTokenizerFast

    tev = exports["tevatron"]
    tokenizer = BertTokenizerFast.from_pretrained(str(tiny_model(tmp_path / "tiny-bert")))
    args = DataArguments(
        dataset_name=f"{tev}:stage1", train_dir=str(tev / "stage1"), dataset_proc_num=1
    )
    ds = HFTrainDataset(tokenizer, args, cache_dir=str(tmp_path / "cache")).process()
    want = expected("stage1", 1)
    assert ds.num_rows == len(want)
    assert sorted(len(n) for n in ds["negatives"]) == sorted(len(r["negatives"]) for r in want)
    assert all(len(p) == 1 and len(p[0]) > 0 for p in ds["positives"])
    assert all(len(q) > 0 for q in ds["query"])


def test_tevatron_records_have_the_documented_fields(exports):
    tev = exports["tevatron"]
    records = jsonl(tev / "stage1")
    want = expected("stage1", 1)
    assert len(records) == len(want)
    assert manifest(tev)["stages"]["stage1"]["dropped"]["too_few_negatives"] == {"msmarco": 3, "nq": 3}
    for record, row in zip(records, want, strict=True):
        assert list(record) == ["query_id", "query", "positive_passages", "negative_passages"]
        assert record["query_id"] == row["example_id"]
        assert record["query"] == row["query_text"]
        for passage in record["positive_passages"] + record["negative_passages"]:
            assert list(passage) == ["docid", "title", "text"]
            assert re.fullmatch(r"[0-9a-f]{32}", passage["docid"])
        assert [p["text"] for p in record["negative_passages"]] == row["negatives"]
