"""Benchmark the extractive reader: accuracy on the held-out sets and CPU latency.

    .venv/bin/python scripts/bench_reader.py [--reader DIR] [--precision fp32,bf16,int8]
        [--limit N] [--v2-limit N] [--threshold T] [--threads N] [--json OUT]

(`python -m qa.evaluate.bench` is the same; it needs a checkout, for ../shared/data and
tests/data.) The product side is always `qa.reader.Reader`, read through the evaluator's
own loop (`qa.evaluate.runner.read_best`), as `qa eval --mode reader` reads it.

For every requested precision of `qa.reader.Reader` (see its module docstring):

1. SQuAD v1.1 dev articles 32-47 (the held-out reader benchmark), gold paragraph given:
   official SQuAD v1.1 EM/F1, through the evaluator's own code (`qa.evaluate.runner.
   run_reader` + `summary.summarize`), never abstaining (as papers report it).
2. The project's seed questions (tests/data/seed_questions.jsonl) in `qa eval`'s reader
   mode: the reader is given the text of the article(s) holding the gold lines, and
   abstains below the default threshold (or --threshold) as the set has unanswerable questions.
   `--seed-mode system` runs retrieval + reader instead (builds a temporary index).
3. SQuAD v2.0 dev, the held-out articles (titles of v1.1 dev articles 32-47): the
   abstention trade-off curve (threshold 0..1: % of unanswerable questions abstained on
   vs % of answerable ones kept), the highest threshold that keeps >= 90 % of the
   answerable questions with its abstention rate, and SQuAD 2.0 EM/F1 there and at the
   assistant's default threshold. Each question is read once (`runner.read_best`) and
   its best span scored by the evaluator's `scoring.score_span` at every threshold. The 90 % threshold is read off the held-out
   set itself: it is an operating point to report, not a tuned setting; `--threshold T`
   adds the figures at a threshold chosen off the benchmark (the training run's
   validation slice picks one: `validation.json`).
4. CPU latency per question for `--passages` (5) real passages of `--passage-tokens`
   (default mixed, 96-458) tokens: the gold SQuAD paragraph plus paragraphs of the same
   article, each grown with the following paragraph(s) when short and cut at its token
   budget (mixed lengths as retrieval returns them: equal-length passages hide the cost of
   padding every window to the longest).
   `Reader.read(question, passages)` is timed against the naive Hugging Face way on the
   same model, same passages, same process, interleaved (the order rotates per question),
   after `--warmup` untimed questions. The naive way is `transformers.pipeline(
   "question-answering")` called as documented for several contexts,
   `pipe(question=[q] * 5, context=passages)`, best score wins. That pipeline was
   removed in transformers 5.3 (huggingface/transformers#43325); on such versions
   `NaivePipeline` below re-creates what it did with its defaults: fp32 model, one
   (question, passage) pair per forward pass (batch size 1, no padding), max_seq_len 384,
   doc_stride 128, max_answer_len 15, soft-maxed start/end, best span per passage.

Latency depends on the machine and its load: the table prints the thread count and the
load average, and the ratio (both sides measured under the same load) is the figure to
compare. Accuracy deltas between precisions only mean something for a trained model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import DEFAULT_READER_DIR, DEFAULT_THRESHOLD, bundled_reader, models_offline, reader_threshold
from qa.errors import NewsQAError
from qa.evaluate.datasets import load_questions
from qa.evaluate.metrics import best_em, best_f1, threshold_keeping
from qa.evaluate.runner import EvalOptions, evaluate, read_best, run_reader
from qa.evaluate.scoring import score_span
from qa.evaluate.summary import summarize
from qa.reader import MODEL_INPUTS, PRECISIONS, Reader, bf16_native, check_reader_dir
from qa.squad import article_titles, load_squad
from qa.train.data import SQUAD_HELDOUT_ARTICLES

ROOT = Path(__file__).resolve().parents[2]  # the checkout: ../shared/data and tests/data are found from it
DEFAULT_DATA = ROOT.parent / "shared" / "data"
V1_FILE = "squad-v1.1-dev/dev-v1.1.json"
V2_FILE = "squad-v2.0-dev/dev-v2.0.json"
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
SEED_CORPUS = ROOT / "seeds"
KEEP_ANSWERABLE = 0.90  # the operating point: keep >= 90 % of answerable questions
ABSTAIN_TARGET = 0.60  # ... while abstaining on >= 60 % of unanswerable ones (issue #15's bar)
NAIVE = "naive pipeline"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def spread(items: list, limit: int | None) -> list:
    """`limit` items evenly spaced over `items` (deterministic; all 16 articles stay in)."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


# --------------------------------------------------------------------- accuracy


def bench_squad_v1(readers: dict[str, Reader], data: Path, limit: int | None) -> dict[str, Any]:
    qset = load_questions(data / V1_FILE, articles=SQUAD_HELDOUT_ARTICLES)
    questions = spread(qset.questions, limit)
    out: dict[str, Any] = {"questions": len(questions), "of": len(qset.questions), "results": {}}
    for name, reader in readers.items():
        log(f"SQuAD v1.1 held-out: {len(questions)} questions, {name}")
        rows = run_reader(questions, reader, threshold=None)
        m = summarize(rows, None)
        out["results"][name] = {
            "em": m["em"]["value"],
            "f1": m["f1"]["value"],
            "errors": int(m["errors"]["value"] or 0),
        }
    return out


def bench_seed(readers: dict[str, Reader], mode: str, threshold: float | None) -> dict[str, Any]:
    qset = load_questions(SEED_QUESTIONS)
    out: dict[str, Any] = {"questions": len(qset.questions), "mode": mode, "results": {}}
    for name, reader in readers.items():
        log(f"seed set: {len(qset.questions)} questions, {mode} mode, {name}")
        options = EvalOptions(
            mode=mode,
            corpus=[SEED_CORPUS],
            reader=reader.path,  # the settings it answers under, its own threshold among them
            reader_object=reader,
            threshold=threshold,
            progress=False,
        )
        run = evaluate(qset, options)
        m = summarize(run.rows, run.k)
        out["threshold"] = run.meta["threshold"]
        out["results"][name] = {
            "em": m["em"]["value"],
            "f1": m["f1"]["value"],
            "has_ans_f1": m["has_ans_f1"]["value"],
            "abstain_recall": m["abstain_recall"]["value"],
            "errors": int(m["errors"]["value"] or 0),
        }
    return out


def _v2_questions(data: Path, limit: int | None) -> tuple[list, int]:
    held_out = article_titles(data / V1_FILE, SQUAD_HELDOUT_ARTICLES)
    v2_titles = [a.get("title", "") for a in json.loads((data / V2_FILE).read_text(encoding="utf-8"))["data"]]
    indexes = frozenset(i for i, title in enumerate(v2_titles) if title in held_out)
    qset = load_questions(data / V2_FILE, articles=indexes)
    return spread(qset.questions, limit), len(qset.questions)


def _v2_point(questions: list, best: list, seconds: list[float], threshold: float) -> dict[str, Any]:
    m = summarize([score_span(q, s, threshold, t) for q, s, t in zip(questions, best, seconds)], None)
    kept = m["false_abstention_rate"]["value"]
    return {
        "threshold": round(float(threshold), 6),
        "kept_answerable": None if kept is None else 1 - kept,
        "abstained_unanswerable": m["abstain_recall"]["value"],
        "em": m["em"]["value"],
        "f1": m["f1"]["value"],
        "has_ans_f1": m["has_ans_f1"]["value"],
    }


def bench_squad_v2(
    readers: dict[str, Reader], data: Path, limit: int | None, step: float, chosen: float | None = None
) -> dict[str, Any]:
    questions, total = _v2_questions(data, limit)
    answerable = sum(q.answerable for q in questions)
    # the readers compared are one directory at several precisions: one chosen threshold
    default_threshold = reader_threshold(next(iter(readers.values())).path) if readers else DEFAULT_THRESHOLD
    out: dict[str, Any] = {
        "questions": len(questions),
        "of": total,
        "answerable": answerable,
        "unanswerable": len(questions) - answerable,
        "default_threshold": default_threshold,
        "chosen_threshold": chosen,
        "results": {},
    }
    grid = [round(t, 4) for t in np.arange(0.0, 1.0 + step / 2, step)]
    for name, reader in readers.items():
        log(f"SQuAD v2.0 held-out: {len(questions)} questions, {name}")
        # each question read once, as run_reader reads it; every threshold is scored from these spans
        best, seconds = [], []
        for q in questions:
            span, took = read_best(reader, q)
            best.append(span)
            seconds.append(took)
        # highest threshold keeping >= 90 % of the answerable questions (a score >= threshold is kept)
        scores = [
            s.score if s is not None and s.text.strip() else float("-inf")
            for q, s in zip(questions, best)
            if q.answerable
        ]
        keep90 = threshold_keeping(scores, KEEP_ANSWERABLE)
        result: dict[str, Any] = {
            "curve": [_v2_point(questions, best, seconds, t) for t in grid],
            "at_keep90": _v2_point(questions, best, seconds, keep90) if keep90 is not None else None,
            "at_default": _v2_point(questions, best, seconds, default_threshold),
            "at_chosen": _v2_point(questions, best, seconds, chosen) if chosen is not None else None,
            "never_abstain": _v2_point(questions, best, seconds, 0.0),
        }
        at = result["at_keep90"]
        result["meets_target"] = bool(at and (at["abstained_unanswerable"] or 0) >= ABSTAIN_TARGET)
        out["results"][name] = result
    return out


# ---------------------------------------------------------------------- latency


class NaivePipeline:
    """The naive baseline: what `pipeline("question-answering")` did, one passage at a time.

    Used only where transformers no longer has that pipeline (5.3+). Mirrors its defaults:
    the model in float32, each (question, context) pair tokenized alone without padding
    and run as its own forward pass, max_seq_len 384 / doc_stride 128, non-context tokens
    masked out (the [CLS] slot kept in the softmax, then zeroed: no impossible answers),
    start and end soft-maxed, best start <= end pair at most 15 tokens long.
    """

    def __init__(self, path: Path, max_seq_len: int = 384, doc_stride: int = 128, max_answer_len: int = 15) -> None:
        import torch
        from transformers import AutoTokenizer

        from qa.encoders import load_qa_model

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = load_qa_model(path, dtype=torch.float32).eval()  # a LoRA reader: merged, as the Reader runs it
        # MPNet takes no token_type_ids
        self.inputs = [n for n in MODEL_INPUTS if n in self.tokenizer.model_input_names]
        self.max_seq_len, self.doc_stride, self.max_answer_len = max_seq_len, doc_stride, max_answer_len

    def __call__(self, question: list[str] | str, context: list[str] | str) -> list[dict[str, Any]] | dict[str, Any]:
        if isinstance(question, list) and isinstance(context, list):
            pairs = list(zip(question, context))
        else:
            pairs = [(str(question), str(context))]
        answers = [self._answer(q, c) for q, c in pairs]
        return answers if isinstance(question, list) else answers[0]

    def _answer(self, question: str, context: str) -> dict[str, Any]:
        torch = self.torch
        enc = self.tokenizer(
            question,
            context,
            truncation="only_second",
            max_length=self.max_seq_len,
            stride=self.doc_stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            return_token_type_ids=True,
        )
        best = {"score": 0.0, "start": 0, "end": 0, "answer": ""}
        for w in range(len(enc["input_ids"])):
            inputs = {k: torch.tensor([enc[k][w]]) for k in self.inputs}
            with torch.no_grad():
                out = self.model(**inputs)
            context_mask = np.array([s == 1 for s in enc.sequence_ids(w)])
            keep = context_mask.copy()
            keep[0] = True  # [CLS] stays in the softmax
            start = _softmax(np.where(keep, out.start_logits[0].numpy(), -10000.0))
            end = _softmax(np.where(keep, out.end_logits[0].numpy(), -10000.0))
            start[0] = end[0] = 0.0
            outer = np.tril(np.triu(np.outer(start, end)), self.max_answer_len - 1)
            i, j = np.unravel_index(int(np.argmax(outer)), outer.shape)
            if not (context_mask[i] and context_mask[j]) or outer[i, j] <= best["score"]:
                continue
            offsets = enc["offset_mapping"][w]
            s, e = int(offsets[i][0]), int(offsets[j][1])
            best = {"score": float(outer[i, j]), "start": s, "end": e, "answer": context[s:e]}
        return best


def _softmax(x: np.ndarray) -> np.ndarray:
    x = np.exp(x - x.max())
    return x / x.sum()


def make_naive(path: Path) -> tuple[Callable[[str, list[str]], str], str]:
    """(answer(question, passages) -> best answer text, description) of the naive baseline."""
    import torch
    from transformers import AutoTokenizer, pipeline

    from qa.encoders import load_qa_model

    try:
        model = load_qa_model(path, dtype=torch.float32)
        pipe = pipeline(
            "question-answering", model=model, tokenizer=AutoTokenizer.from_pretrained(str(path)), device=-1
        )
        how = 'transformers.pipeline("question-answering"), pipe(question=[q]*5, context=passages)'
    except (KeyError, ValueError) as err:  # "The task question-answering has been removed from transformers"
        log(f"transformers.pipeline('question-answering') is unavailable ({err}); using NaivePipeline")
        pipe = NaivePipeline(path)
        how = (
            f"NaivePipeline (transformers {__import__('transformers').__version__} has no "
            '"question-answering" pipeline): its per-passage defaults re-created, pipe(question=[q]*5, context=passages)'
        )

    def answer(question: str, passages: list[str]) -> str:
        results = pipe(question=[question] * len(passages), context=passages)
        results = results if isinstance(results, list) else [results]
        return max(results, key=lambda r: r["score"])["answer"]

    return answer, how


def _paragraphs_by_article(data: Path) -> tuple[dict[int, list[str]], list]:
    examples = load_squad(data / V1_FILE, SQUAD_HELDOUT_ARTICLES)
    paragraphs: dict[int, list[str]] = {}
    for e in examples:
        found = paragraphs.setdefault(e.article, [])
        if not found or found[-1] != e.context:
            found.append(e.context)
    return paragraphs, examples


def token_budget(spec: str) -> Callable[[int, int], int]:
    """`--passage-tokens`: "200" (every passage that long) or "96-458" (mixed: each
    paragraph start gets its own seeded length in the range, as retrieved news passages
    differ in length, and padding to the longest is what a batched reader pays for)."""
    lo, _, hi = spec.partition("-")
    low, high = int(lo), int(hi or lo)
    if not 0 < low <= high:
        raise ValueError(f"--passage-tokens: expected N or LO-HI with 0 < LO <= HI, got {spec!r}")
    return lambda article, paragraph: random.Random(article * 100_003 + paragraph).randint(low, high)


def latency_items(
    tokenizer, data: Path, n: int, passages: int, tokens: Callable[[int, int], int]
) -> list[dict[str, Any]]:
    """`n` questions, each with `passages` real passages (the gold one included), the one
    starting at paragraph j of article a cut at `tokens(a, j)` tokens.

    A passage is a held-out paragraph, grown with the article's next paragraph(s) while
    short and cut at `tokens` tokens (at a word end); only starts that reach `tokens`
    are used. The gold passage must still hold the first reference answer; the others
    are the same article's passages not overlapping it (a random, seeded pick), and the
    passage order is shuffled so the gold one is not always first.
    """

    def length(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def build(paras: list[str], first: int, tokens: int) -> tuple[str, int] | None:
        text, last = paras[first], first
        while length(text) < tokens and last + 1 < len(paras):
            last += 1
            text += "\n" + paras[last]
        offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
            "offset_mapping"
        ]
        if len(offsets) < tokens:
            return None  # the article ran out of text
        cut = offsets[tokens - 1][1]
        while cut < len(text) and text[cut].isalnum() and text[cut - 1].isalnum():
            cut += 1
        return text[:cut], last

    paragraphs, examples = _paragraphs_by_article(data)
    starts = [(a, j) for a, paras in paragraphs.items() for j in range(len(paras))]
    built = {key: found for key in starts if (found := build(paragraphs[key[0]], key[1], tokens(*key))) is not None}
    candidates = []
    for e in examples:
        j = paragraphs[e.article].index(e.context)
        if (e.article, j) not in built:
            continue
        gold, last = built[(e.article, j)]
        others = [k for k in range(len(paragraphs[e.article])) if (e.article, k) in built and not j <= k <= last]
        text, start = e.answers[0]
        if start + len(text) <= len(gold) and len(others) >= passages - 1:
            candidates.append((e, gold, others))
    items = []
    for i, (e, gold, others) in enumerate(spread(candidates, n)):
        rng = random.Random(i)
        chosen = [gold] + [built[(e.article, k)][0] for k in rng.sample(others, passages - 1)]
        rng.shuffle(chosen)
        items.append({"id": e.id, "question": e.question, "answers": [a for a, _ in e.answers], "passages": chosen})
    if len(items) < n:
        log(f"latency: only {len(items)} usable questions (asked for {n})")
    return items


def _stats(ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(ms),
        "p90_ms": float(np.percentile(ms, 90)),
        "mean_ms": statistics.fmean(ms),
        "min_ms": min(ms),
    }


def _best_text(reader: Reader) -> Callable[[str, list[str]], str]:
    """The product side of the latency race: `Reader.read`, its best span's text."""

    def answer(question: str, passages: list[str]) -> str:
        spans = reader.read(question, passages)
        return spans[0].text if spans else ""

    return answer


def bench_latency(
    readers: dict[str, Reader], path: Path, data: Path, n: int, warmup: int, passages: int, tokens: str
) -> dict[str, Any]:
    naive, how = make_naive(path)
    first = next(iter(readers.values()))
    items = latency_items(first.tokenizer, data, n + warmup, passages, token_budget(tokens))
    lengths = [
        len(first.tokenizer(p, add_special_tokens=False, verbose=False)["input_ids"])
        for it in items
        for p in it["passages"]
    ]
    methods: dict[str, Callable[[str, list[str]], str]] = {NAIVE: naive}
    for name, reader in readers.items():
        methods[f"Reader {name}"] = _best_text(reader)
    names = list(methods)
    wall: dict[str, list[float]] = {m: [] for m in names}
    cpu: dict[str, list[float]] = {m: [] for m in names}
    quality: dict[str, list[tuple[float, float]]] = {m: [] for m in names}
    log(f"latency: {len(items)} questions ({warmup} warm-up) x {passages} passages, {len(names)} methods interleaved")
    for i, item in enumerate(items):
        order = names[i % len(names) :] + names[: i % len(names)]  # rotate who goes first
        for m in order:
            c0, w0 = time.process_time(), time.perf_counter()
            text = methods[m](item["question"], item["passages"])
            w1, c1 = time.perf_counter(), time.process_time()
            if i >= warmup:
                wall[m].append(1000 * (w1 - w0))
                cpu[m].append(1000 * (c1 - c0))
                quality[m].append((best_em(text, item["answers"]), best_f1(text, item["answers"])))
    results = {}
    for m in names:
        s = _stats(wall[m])
        s["cpu_median_ms"] = statistics.median(cpu[m])
        s["speedup_vs_naive"] = statistics.median(wall[NAIVE]) / s["median_ms"]
        s["paired_speedup_median"] = statistics.median(a / b for a, b in zip(wall[NAIVE], wall[m]))
        s["em"] = statistics.fmean(e for e, _ in quality[m])
        s["f1"] = statistics.fmean(f for _, f in quality[m])
        results[m] = s
    return {
        "questions": len(items) - warmup,
        "warmup": warmup,
        "passages_per_question": passages,
        "passage_tokens": {"mean": statistics.fmean(lengths), "min": min(lengths), "max": max(lengths)},
        "baseline": how,
        "results": results,
    }


# ------------------------------------------------------------------------- main


def report(out: dict[str, Any]) -> str:
    meta = out["meta"]
    lines = [
        f"reader {meta['reader']}  |  torch {meta['torch']}, transformers {meta['transformers']}, "
        f"{meta['threads']} thread(s), bf16 native: {meta['bf16_native']}  |  "
        f"load avg {meta['load_start']:.1f} -> {meta['load_end']:.1f} on {meta['cpus']} CPUs",
        "",
    ]
    precisions = meta["precisions"]
    fp32 = "fp32" if "fp32" in precisions else None
    if "squad_v1" in out:
        v1 = out["squad_v1"]
        lines.append(f"SQuAD v1.1 dev articles 32-47, gold paragraph: {v1['questions']} of {v1['of']} questions")
        rows = []
        for p in precisions:
            r = v1["results"][p]
            delta = None if fp32 is None or p == fp32 else f"{100 * (r['f1'] - v1['results'][fp32]['f1']):+.2f}"
            rows.append([p, pct(r["em"]), pct(r["f1"]), delta, r["errors"]])
        lines += [table(["precision", "EM", "F1", "F1 vs fp32", "errors"], rows), ""]
    if "seed" in out:
        sd = out["seed"]
        lines.append(f"seed questions: {sd['questions']}, {sd['mode']} mode, abstain below {sd['threshold']}")
        rows = [
            [p, pct(r["em"]), pct(r["f1"]), pct(r["has_ans_f1"]), pct(r["abstain_recall"]), r["errors"]]
            for p, r in sd["results"].items()
        ]
        lines += [table(["precision", "EM", "F1", "HasAns F1", "abstained (unans.)", "errors"], rows), ""]
    if "squad_v2" in out:
        v2 = out["squad_v2"]
        lines.append(
            f"SQuAD v2.0 held-out (v1.1 titles 32-47): {v2['questions']} of {v2['of']} questions "
            f"({v2['answerable']} answerable, {v2['unanswerable']} unanswerable)"
        )
        rows = []
        for p in precisions:
            r = v2["results"][p]
            points = [("keeps >= 90 %", "at_keep90"), (f"default {v2['default_threshold']}", "at_default")]
            if v2.get("chosen_threshold") is not None:
                points.append((f"--threshold {v2['chosen_threshold']}", "at_chosen"))
            for label, key in points + [("never abstain", "never_abstain")]:
                a = r[key]
                if a is None:
                    rows.append([p, label, None, None, None, None, None])
                    continue
                rows.append(
                    [
                        p,
                        label,
                        f"{a['threshold']:.4g}",
                        pct(a["kept_answerable"]),
                        pct(a["abstained_unanswerable"]),
                        pct(a["em"]),
                        pct(a["f1"]),
                    ]
                )
        lines += [
            table(["precision", "operating point", "threshold", "kept (ans.)", "abstained (unans.)", "EM", "F1"], rows)
        ]
        for p in precisions:
            verdict = "MEETS" if v2["results"][p]["meets_target"] else "misses"
            lines.append(
                f"  {p}: {verdict} the target (abstain on >= {ABSTAIN_TARGET * 100:.0f} % of unanswerable at a threshold keeping "
                f">= {KEEP_ANSWERABLE * 100:.0f} % answerable)"
            )
        lines.append("")
        curve_rows = []
        for k, point in enumerate(v2["results"][precisions[0]]["curve"]):
            row = [f"{point['threshold']:.2f}"]
            for p in precisions:
                c = v2["results"][p]["curve"][k]
                row += [pct(c["kept_answerable"]), pct(c["abstained_unanswerable"]), pct(c["f1"])]
            curve_rows.append(row)
        headers = ["threshold"] + [h for p in precisions for h in (f"{p} kept", f"{p} abst.", f"{p} F1")]
        lines += [
            "trade-off curve (% answerable kept, % unanswerable abstained, SQuAD 2.0 F1):",
            table(headers, curve_rows),
            "",
        ]
    if "latency" in out:
        lt = out["latency"]
        tok = lt["passage_tokens"]
        lines.append(
            f"CPU latency per question: {lt['questions']} questions (after {lt['warmup']} warm-up) x "
            f"{lt['passages_per_question']} passages of {tok['mean']:.0f} tokens ({tok['min']}-{tok['max']}), interleaved"
        )
        lines.append(f"baseline: {lt['baseline']}")
        rows = []
        for m, r in lt["results"].items():
            rows.append(
                [
                    m,
                    f"{r['median_ms']:.1f}",
                    f"{r['p90_ms']:.1f}",
                    f"{r['cpu_median_ms']:.1f}",
                    f"{r['speedup_vs_naive']:.2f}x",
                    f"{r['paired_speedup_median']:.2f}x",
                    pct(r["em"]),
                    pct(r["f1"]),
                ]
            )
        lines += [
            table(
                [
                    "method",
                    "median ms",
                    "p90 ms",
                    "CPU ms (median)",
                    "speed-up (medians)",
                    "speed-up (paired)",
                    "EM",
                    "F1",
                ],
                rows,
            ),
            "",
        ]
    if "squad_v1" in out and fp32 and out["squad_v1"]["results"][fp32]["f1"] < 0.5:
        lines.append(
            "note: fp32 F1 < 50 on SQuAD: the model looks untrained, so F1 differences between precisions are not evidence."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--reader",
        type=lambda value: bundled_reader(Path(value)),
        default=DEFAULT_READER_DIR,
        help="a bundled reader (fast, accurate) or a QA model directory (default: the default reader)",
    )
    ap.add_argument(
        "--precision", default="fp32,bf16,int8", help=f"comma-separated, of {', '.join(PRECISIONS)} (default: all)"
    )
    ap.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="the shared data directory (default: ../shared/data)"
    )
    ap.add_argument("--limit", type=int, default=None, help="SQuAD v1.1 questions, evenly spaced (default: all 3,335)")
    ap.add_argument(
        "--v2-limit", type=int, default=None, help="SQuAD v2.0 questions, evenly spaced (default: all 4,420)"
    )
    ap.add_argument("--v2-step", type=float, default=0.05, help="threshold step of the printed trade-off curve")
    ap.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="abstention threshold chosen off the benchmark (e.g. the training run's validation.json): "
        "used for the seed set and reported as its own SQuAD v2.0 operating point",
    )
    ap.add_argument(
        "--seed-mode", choices=("reader", "system"), default="reader", help="seed set: gold article text or retrieval"
    )
    ap.add_argument("--latency-questions", type=int, default=30, help="timed questions (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed questions run first (default 3)")
    ap.add_argument("--passages", type=int, default=5, help="passages per question (default 5)")
    ap.add_argument(
        "--passage-tokens", default="96-458", help="tokens per passage, N or LO-HI for mixed lengths (default 96-458)"
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="torch intra-op threads for everything (default: torch's choice)"
    )
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: v1, seed, v2, latency")
    ap.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write all figures to this JSON file")
    args = ap.parse_args(argv)

    models_offline()
    import torch
    import transformers

    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    unknown = [p for p in precisions if p not in PRECISIONS]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown or not precisions or skip - {"v1", "seed", "v2", "latency"}:
        ap.error(f"bad --precision {args.precision!r} or --skip {args.skip!r}")
    try:
        check_reader_dir(args.reader)
    except NewsQAError as err:
        ap.error(str(err))
    if args.threads:
        torch.set_num_threads(args.threads)
    load_start = os.getloadavg()[0]
    readers = {p: Reader(args.reader, precision=p) for p in precisions}
    for reader in readers.values():
        reader.warm_up()  # loading is not what is measured
    out: dict[str, Any] = {
        "meta": {
            "reader": str(args.reader),
            "precisions": precisions,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "bf16_native": bf16_native(),
            "load_start": load_start,
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else argv,
        }
    }
    if "v1" not in skip:
        out["squad_v1"] = bench_squad_v1(readers, args.data, args.limit)
    if "seed" not in skip:
        out["seed"] = bench_seed(readers, args.seed_mode, args.threshold)
    if "v2" not in skip:
        out["squad_v2"] = bench_squad_v2(readers, args.data, args.v2_limit, args.v2_step, args.threshold)
    if "latency" not in skip:
        out["latency"] = bench_latency(
            readers, args.reader, args.data, args.latency_questions, args.warmup, args.passages, args.passage_tokens
        )
    out["meta"]["load_end"] = os.getloadavg()[0]
    print(report(out))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
