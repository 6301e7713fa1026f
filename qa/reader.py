"""Extractive reader: pick the answer span for a question out of a few passages.

Any Hugging Face question-answering model directory works (`AutoModelForQuestionAnswering`);
the default is the project's own reader shipped in `qa/reader_model/`.

Scores are comparable across passages: within each token window the start and end
logits are soft-maxed (the [CLS] position standing for "no answer"), giving
p = P(start) * P(end) for a span and n = P([CLS]) * P([CLS]) for "no answer"; a span's
score is p / (p + n), the odds of this span against no answer in its window, in [0, 1].
Measured on the training run's validation slice, this separates answerable from
unanswerable questions better than p alone (61 % vs 54 % of unanswerables abstained at a
threshold keeping 90 % of answerables): p alone is diluted whenever several
overlapping spans ("141 to 5" / "141 to 5, with 34 abstentions") share the mass.

`precision` trades a little accuracy for CPU speed: "fp32" runs the model as
loaded; "bf16" casts the encoder to bfloat16 (fast where the CPU has AVX512-BF16/AMX,
emulated and slow elsewhere) and keeps the answer head in float32; "int8" runs a per-channel
int8 copy of the model in ONNX Runtime (`qa.reader_int8`: built on first use, then cached);
"auto" (the default) picks bf16 where the CPU runs it natively, else fp32. The assistant
passes `Settings.reader_precision` (whose default $QA_READER_PRECISION may override).
`scripts/bench_reader.py` measures each against fp32 (F1) and against a naive per-passage
pipeline (latency).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import DEFAULT_READER_DIR, Precision, Settings, bundled_reader, models_offline, parse_choice
from qa.encoders import ADAPTER_CONFIG, is_lora_reader, load_qa_model
from qa.errors import NewsQAError

PRECISIONS = tuple(p.value for p in Precision if p is not Precision.AUTO)  # what "auto" resolves among
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # what the encoders take, when the tokenizer gives it
# One forward pass's fixed cost, in padded tokens: measured with the MPNet reader on 2 cores
# over 5 mixed-length passages (96-458 tokens), 0, 32 and 128 all read 1.65-1.68x faster than
# filling batches in order, with the same answers; 32 was the fastest.
BATCH_OVERHEAD_TOKENS = 32


@dataclass(frozen=True)
class Span:
    """A candidate answer: ``passages[passage][start:end] == text``."""

    passage: int
    start: int
    end: int
    text: str
    score: float  # p / (p + no_answer), p = P(start) * P(end) in its window: 0-1, comparable across passages
    no_answer: float  # P([CLS] start) * P([CLS] end) in the same window


class ReaderError(NewsQAError):
    """The reader model could not be loaded (bad path, not a QA model)."""


def check_reader_dir(path: str | Path | None) -> Path:
    """The reader directory to load (default: the bundled one; "fast" and "accurate" name the
    bundled readers); fails fast, before any model or index work."""
    directory = bundled_reader(Path(path)) if path else DEFAULT_READER_DIR
    if not (directory / "config.json").exists() and not is_lora_reader(directory):
        raise ReaderError(
            f"no reader model at {directory} (expected a Hugging Face model directory with config.json, "
            f"or a LoRA reader with {ADAPTER_CONFIG})"
        )
    return directory


class Reader:
    """Wraps a QA model: tokenization with stride, batched forward, span decoding.

    Safe to share between threads (the app answers several questions at once):
    tokenization takes a lock (a fast tokenizer refuses two threads at once), and so
    does the forward pass. Two forward passes side by side would only fight over the
    same cores; one after another, each question's windows are batched exactly as when
    it is asked alone, so an answer never depends on who else is asking. (Batching
    windows of several questions together was tried: 1.19x the throughput on 2 cores,
    but bf16 rounding then varies with the batch and 2 of 200 answers changed.)
    """

    def __init__(
        self,
        path: str | Path | None = None,
        max_length: int = 384,
        stride: int = 128,
        max_answer_tokens: int = 30,
        batch_size: int = 16,
        precision: Precision | str = Precision.AUTO,
    ) -> None:
        chosen = parse_choice(Precision, "reader precision", precision)
        if chosen is Precision.AUTO:
            chosen = Precision.BF16 if bf16_native() else Precision.FP32
        self.precision: str = chosen.value
        self.path = check_reader_dir(path)  # a bad path fails here, before any model work
        self.max_length = max_length  # capped by the model's own limit at warm_up
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self._tokenizer: Any = None
        self._model: Any = None
        self._int8: Any = None  # an ONNX Runtime session when precision is int8
        self._torch: Any = None
        self._tokenize_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._forward_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and the model (torch, transformers) now; idempotent.

        Constructing a reader is free; `read`, `tokenizer` and `model` warm it up on first
        use, and an owner that must answer fast from the start (the app) calls this first.
        """
        with self._load_lock:
            if self._tokenizer is None:
                self._load()

    def _load(self) -> None:
        models_offline()
        import torch
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(self.path))
            # int8 runs its own cached copy: the float weights are read only to build it
            model = None if self.precision == "int8" else load_qa_model(self.path, dtype=torch.float32).eval()
        except (OSError, ValueError) as exc:
            raise ReaderError(f"could not load a question-answering model from {self.path}: {exc}") from exc
        if self.precision == "int8":
            from qa.reader_int8 import int8_session

            names = [n for n in tokenizer.model_input_names if n in MODEL_INPUTS]
            try:
                self._int8 = int8_session(self.path, names, torch.get_num_threads())
            except NewsQAError as exc:  # Int8Unavailable: onnxruntime missing, export failed
                raise ReaderError(str(exc)) from exc
        elif self.precision == "bf16":
            model = _to_bf16(model)
        self.max_length = min(self.max_length, getattr(tokenizer, "model_max_length", None) or self.max_length)
        self._torch, self._model = torch, model
        self._tokenizer = tokenizer  # last: a reader with a tokenizer is warm

    @property
    def tokenizer(self) -> Any:
        self.warm_up()
        return self._tokenizer

    @property
    def model(self) -> Any:
        """The torch model (None for int8, which runs an ONNX Runtime session)."""
        self.warm_up()
        return self._model

    @classmethod
    def from_settings(cls, settings: Settings) -> Reader:
        """The reader `settings` describe: model, precision, window, stride and answer length."""
        return cls(
            settings.reader_path,
            max_length=settings.reader_max_length,
            stride=settings.reader_stride,
            max_answer_tokens=settings.max_answer_tokens,
            precision=settings.reader_precision,
        )

    def read(
        self,
        question: str,
        passages: list[str],
        top_n: int = 5,
        contexts: list[str] | None = None,
        per_passage: bool = False,
    ) -> list[Span]:
        """Best spans over all passages, best first (at most one per start/end pair).

        `top_n` caps the whole list, or with `per_passage` each passage's share of it, so
        that one passage's many overlapping spans cannot crowd out every other passage.

        `contexts[i]`, when given and not empty, is read just before passage i but never
        answered from: a news passage cut from the middle of an article says "the vote"
        where the question says "the UNGA vote", and a reader trained to decline questions
        naming things its passage lacks declines it unless it sees the article's headline.
        """
        if not passages:
            return []
        self.warm_up()
        contexts = contexts or [""] * len(passages)
        if len(contexts) != len(passages):
            raise ValueError("contexts and passages must pair up")
        shifts = [len(c) + 1 if c else 0 for c in contexts]
        texts = [f"{c}\n{p}" if c else p for c, p in zip(contexts, passages)]
        with self._tokenize_lock:
            enc = self._tokenizer(
                [question] * len(passages),
                texts,
                truncation="only_second",
                max_length=self.max_length,
                stride=self.stride,
                return_overflowing_tokens=True,
                return_offsets_mapping=True,
                padding=True,
                return_tensors="np",
            )
        with self._forward_lock:
            start_logits, end_logits = self._forward(enc)
        spans: dict[tuple[int, int, int], Span] = {}
        for w in range(len(start_logits)):
            passage = int(enc["overflow_to_sample_mapping"][w])
            offsets = enc["offset_mapping"][w]
            shift = shifts[passage]
            # answers come from the passage only, never from the context read before it
            is_context = np.array([s == 1 and offsets[t][0] >= shift for t, s in enumerate(enc.sequence_ids(w))])
            for span in self._decode(
                start_logits[w], end_logits[w], is_context, offsets - shift, passage, passages[passage], top_n
            ):
                key = (span.passage, span.start, span.end)
                if key not in spans or spans[key].score < span.score:
                    spans[key] = span
        ranked = sorted(spans.values(), key=lambda s: s.score, reverse=True)
        if not per_passage:
            return ranked[:top_n]
        taken: dict[int, int] = {}
        kept = []
        for span in ranked:
            if taken.get(span.passage, 0) < top_n:
                taken[span.passage] = taken.get(span.passage, 0) + 1
                kept.append(span)
        return kept

    def _forward(self, enc) -> tuple[np.ndarray, np.ndarray]:
        """Start/end logits of every window, in window order, padded to the longest with -1e4.

        Windows are sorted by length and cut into the batches that pad least
        (`length_batches`), each batch cut to its own longest window: five news passages run
        from under 100 to over 400 tokens, and padding every window to the longest made the
        batched reader slower than reading passages one by one.
        """
        torch = self._torch
        names = [n for n in MODEL_INPUTS if n in enc]
        lengths = np.asarray(enc["attention_mask"]).sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        full = len(enc["input_ids"][0])
        starts: np.ndarray = np.full((len(lengths), full), -1e4, dtype=np.float32)
        ends: np.ndarray = np.full((len(lengths), full), -1e4, dtype=np.float32)
        with torch.inference_mode():
            for first, last in length_batches([int(n) for n in lengths[order]], self.batch_size):
                rows = order[first:last]
                width = int(lengths[rows].max())
                batch = {n: torch.from_numpy(np.asarray(enc[n])[rows, :width]) for n in names}
                if self._int8 is not None:
                    start, end = self._int8.run(None, {n: t.numpy() for n, t in batch.items()})
                else:
                    out = self._model(**batch)
                    start, end = out.start_logits.float().numpy(), out.end_logits.float().numpy()
                starts[rows, :width] = start
                ends[rows, :width] = end
        return starts, ends

    def _decode(
        self,
        start_logits: np.ndarray,
        end_logits: np.ndarray,
        is_context: np.ndarray,
        offsets: np.ndarray,
        passage: int,
        text: str,
        top_n: int,
    ) -> list[Span]:
        allowed = is_context.copy()
        allowed[0] = True  # [CLS]: the no-answer slot takes part in the softmax
        p_start = _masked_softmax(start_logits, allowed)
        p_end = _masked_softmax(end_logits, allowed)
        no_answer = float(p_start[0] * p_end[0])
        ctx = np.flatnonzero(is_context)
        if ctx.size == 0:
            return []
        # only spans with end >= start and at most max_answer_tokens long: row i holds the
        # spans starting at context token i, column d those ending d tokens later (a band of
        # the start x end matrix, so the top-k search looks at n * 30 scores, not n * n)
        n = len(ctx)
        width = min(self.max_answer_tokens, n)
        ends = np.arange(n)[:, None] + np.arange(width)[None, :]
        scores = np.where(ends < n, p_start[ctx][:, None] * p_end[ctx][np.minimum(ends, n - 1)], 0.0).ravel()
        k = min(top_n, scores.size)
        best = np.argpartition(scores, -k)[-k:]  # top k unordered: cheaper than a full sort
        best = best[np.argsort(scores[best], kind="stable")[::-1]]
        spans = []
        for flat in best:
            i, d = divmod(int(flat), width)
            j = i + d
            if scores[flat] <= 0:
                break
            char_start, char_end = _snap_to_words(text, int(offsets[ctx[i]][0]), int(offsets[ctx[j]][1]))
            p = float(scores[flat])
            spans.append(Span(passage, char_start, char_end, text[char_start:char_end], p / (p + no_answer), no_answer))
        return spans


BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def length_batches(lengths: list[int], batch_size: int, overhead: int = BATCH_OVERHEAD_TOKENS) -> list[tuple[int, int]]:
    """[first, last) bounds of the batches to read windows of these ascending `lengths` in.

    Every window of a batch costs its longest one's tokens, and every batch costs `overhead`
    tokens more; the cheapest cut is found exactly (dynamic programming, `batch_size` at most
    per batch). Filling batches in order put a 100-token window beside a 384-token one.
    """
    best = [0] + [sys.maxsize] * len(lengths)
    cut = [0] * (len(lengths) + 1)
    for last in range(1, len(lengths) + 1):
        for first in range(max(0, last - batch_size), last):
            cost = best[first] + (last - first) * lengths[last - 1] + overhead
            if cost < best[last]:
                best[last], cut[last] = cost, first
    bounds = []
    last = len(lengths)
    while last > 0:
        bounds.append((cut[last], last))
        last = cut[last]
    return bounds[::-1]


def bf16_native(cpuinfo: str | None = None) -> bool:
    """Whether this CPU runs bfloat16 matmuls natively (AVX512-BF16 or AMX); else bf16 is emulated.

    Read from the CPU flags in /proc/cpuinfo (or `cpuinfo`, for tests), not from oneDNN's
    own check: that one also says yes on plain AVX512, where bf16 is emulated. Measured on
    such a CPU (Xeon, avx512f without avx512_bf16): bf16 0.53x the naive pipeline's speed,
    fp32 1.31x. Where the flags cannot be read, fp32 is the safe answer.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in ("flags", "Features"):
            return bool(BF16_CPU_FLAGS & set(value.split()))
    return False


def _to_bf16(model):
    """The encoder in bfloat16, the answer head in float32 (finer scores, fewer ties)."""
    import torch

    model = model.to(torch.bfloat16)
    head = getattr(model, "qa_outputs", None)
    if isinstance(head, torch.nn.Linear):
        head.float()
        head.register_forward_pre_hook(lambda _module, args: tuple(a.float() for a in args))
    return model


def _snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to whole words: sub-word tokens must never cut "Kherson" to "Khers"."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


def _masked_softmax(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    x = np.where(allowed, logits.astype(np.float64), -np.inf)
    x = np.exp(x - x.max())
    return x / x.sum()
