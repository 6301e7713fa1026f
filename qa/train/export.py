"""Export a trained reader as the compact copy the project ships (fp16 safetensors).

fp16 halves the file (22.7 M parameters -> ~45 MB) at no measurable cost in F1; the
reader is loaded back as float32 for CPU inference. The export is written to a temp
directory and swapped in, keeping any model card (README.md) already there.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def export_reader(model_dir: Path, out_dir: Path) -> Path:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    model = AutoModelForQuestionAnswering.from_pretrained(str(model_dir), dtype=torch.float16)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".export-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
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
