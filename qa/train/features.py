"""Turning QA examples into token windows with start/end labels.

Contexts longer than the window are split with a stride (as at inference time); a window
that does not contain the answer is labelled at [CLS] (no answer). To keep long
documents (COVID-QA) from flooding training with empty windows, at most
`max_negative_windows` answer-less windows are kept per answerable example.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from qa.squad import QAExample


@dataclass
class Feature:
    input_ids: list[int]
    token_type_ids: list[int]
    start: int
    end: int


def make_features(
    examples: list[QAExample],
    tokenizer,
    max_length: int,
    stride: int,
    max_question_tokens: int = 64,
    max_negative_windows: int = 1,
    seed: int = 0,
    batch: int = 512,
) -> list[Feature]:
    rng = random.Random(seed)
    features: list[Feature] = []
    for i in range(0, len(examples), batch):
        chunk = examples[i : i + batch]
        questions = [_clip_question(e.question, tokenizer, max_question_tokens) for e in chunk]
        enc = tokenizer(
            questions,
            [e.context for e in chunk],
            truncation="only_second",
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=False,
        )
        per_example: dict[int, tuple[list[Feature], list[Feature]]] = {}
        for f_idx, ex_idx in enumerate(enc["overflow_to_sample_mapping"]):
            example = chunk[ex_idx]
            seq_ids = enc.sequence_ids(f_idx)
            offsets = enc["offset_mapping"][f_idx]
            start = end = 0
            if example.answers:
                text, char_start = example.answers[0]
                char_end = char_start + len(text)
                ctx = [k for k, s in enumerate(seq_ids) if s == 1]
                if ctx and offsets[ctx[0]][0] <= char_start and offsets[ctx[-1]][1] >= char_end:
                    start = next(k for k in ctx if offsets[k][1] > char_start)
                    end = next(k for k in reversed(ctx) if offsets[k][0] < char_end)
            ids = enc["input_ids"][f_idx]
            # MPNet/RoBERTa-style tokenizers give no segment ids; the model never sees these then
            types = enc["token_type_ids"][f_idx] if "token_type_ids" in enc else [0] * len(ids)
            feat = Feature(ids, types, start, end)
            pos, neg = per_example.setdefault(ex_idx, ([], []))
            (pos if start > 0 else neg).append(feat)
        for ex_idx, (pos, neg) in per_example.items():
            if chunk[ex_idx].is_impossible:
                features.extend(neg[:1])
            elif pos:
                rng.shuffle(neg)
                features.extend(pos + neg[:max_negative_windows])
    return features


def _clip_question(question: str, tokenizer, max_tokens: int) -> str:
    ids = tokenizer(question, add_special_tokens=False)["input_ids"]
    if len(ids) <= max_tokens:
        return question
    return tokenizer.decode(ids[:max_tokens])
