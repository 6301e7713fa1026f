"""Export a trained reader as the compact copy the project ships (fp16 safetensors).

fp16 halves the file (22.7 M parameters -> ~45 MB for a whole MiniLM reader; a LoRA
reader's adapters and span head -> ~5 MB) at no measurable cost in F1; the reader is
loaded back as float32 for CPU inference. A LoRA reader stays a LoRA reader: only its
adapters and head are written, over the PyPI encoder its `adapter_config.json` names. The
export is written to a temp directory and swapped in, keeping any model card (README.md)
already there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qa.encoders import is_lora_reader, load_lora_model, resolve_encoder


def _load(model_dir: Path):
    """(model, tokenizer, is_lora) of a model directory, a LoRA reader directory, or a
    training run directory (its latest checkpoint)."""
    checkpoint = model_dir / "checkpoint.pt"
    if not checkpoint.exists() and not (model_dir / "config.json").exists() and not is_lora_reader(model_dir):
        from qa.reader import ReaderError

        raise ReaderError(f"{model_dir} is neither a model directory nor a training run")

    from qa.config import models_offline

    models_offline()
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    if is_lora_reader(model_dir):
        return load_lora_model(model_dir), AutoTokenizer.from_pretrained(str(model_dir)), True
    if not checkpoint.exists():
        model = AutoModelForQuestionAnswering.from_pretrained(str(model_dir))
        return model, AutoTokenizer.from_pretrained(str(model_dir)), False

    from qa.train.trainer import TrainConfig, base_encoder, initial_model, load_trainable

    config = TrainConfig.from_dict(json.loads((model_dir / "config.json").read_text()))
    model = initial_model(config)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    load_trainable(model, torch.load(checkpoint, map_location="cpu", weights_only=False)["model"], trainable)
    if config.lora_rank:
        model.peft_config["default"].base_model_name_or_path = base_encoder(config)
    return model, AutoTokenizer.from_pretrained(str(resolve_encoder(config.init))), bool(config.lora_rank)


def export_reader(model_dir: Path, out_dir: Path) -> Path:
    """Write `model_dir` (model dir, LoRA reader dir or run dir) as fp16 safetensors into `out_dir`."""
    model, tokenizer, is_lora = _load(Path(model_dir))
    model = model.half()
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".export-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if is_lora:  # the frozen embeddings are the base's: never copied into the adapter
        model.save_pretrained(tmp, safe_serialization=True, save_embedding_layers=False)
    else:
        model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    card = out_dir / "README.md"
    if card.exists():
        shutil.copy2(card, tmp / "README.md")
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return out_dir
