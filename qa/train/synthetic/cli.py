"""Command line: sample stories, generate, verify offsets, write the file, print samples.

Run as ``python -m qa.train.synthetic``; see the package docstring for the recipe.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from qa.train import synthetic
from qa.train.synthetic.corpus import CORPORA, DEFAULT_DATA_DIR, NewsArticle, corpus_path, select_articles
from qa.train.synthetic.generate import check_offsets, generate, iter_examples
from qa.train.synthetic.spacy_answers import SPACY_MODELS, load_spacy

DEFAULT_OUT = Path("runs/synthetic/news_qa.json")


def print_samples(squad: dict, count: int, seed: int, out=sys.stdout) -> None:
    """A seeded random sample of questions with their answers and sentences, to eyeball quality."""
    examples = list(iter_examples(squad))
    rng = random.Random(seed)
    for context, qa in rng.sample(examples, min(count, len(examples))):
        if qa["is_impossible"]:
            print(f"[NEG {qa['answer_type']}/{qa['style']}] {qa['question']}", file=out)
        else:
            ans = qa["answers"][0]
            start = ans["answer_start"]
            s0 = max(context.rfind(".", 0, start), context.rfind("\n", 0, start)) + 1
            s1 = context.find(".", start + len(ans["text"]))
            sentence = context[s0 : s1 + 1 if s1 >= 0 else None].strip()
            print(f"[{qa['answer_type']}/{qa['style']}] {qa['question']}  ->  {ans['text']!r}", file=out)
            print(f"      {sentence[:300]}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa.train.synthetic", description=synthetic.__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--corpus", action="append", help="bbc, reuters or a JSONL path (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--max-articles", type=int, default=0, help="stories per corpus (0 = all)")
    parser.add_argument("--per-context", type=int, default=2, help="answerable questions per paragraph")
    parser.add_argument(
        "--negative-ratio", type=float, default=0.33, help="unanswerable copies per answerable question"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--spacy-model",
        default=None,
        help=f"spaCy pipeline name (default: first installed of {', '.join(SPACY_MODELS)})",
    )
    parser.add_argument(
        "--no-spacy", action="store_true", help="use the heuristic extractor even if spaCy is installed"
    )
    parser.add_argument("--samples", type=int, default=30, help="random examples to print")
    args = parser.parse_args(argv)

    nlp = None if args.no_spacy else load_spacy(args.spacy_model)
    print(
        f"extractor: {'spaCy ' + nlp.meta.get('name', '') if nlp is not None else 'heuristic (no spaCy pipeline)'}",
        file=sys.stderr,
    )
    articles: list[NewsArticle] = []
    for corpus in args.corpus or ["bbc", "reuters"]:
        path = corpus_path(corpus, args.data_dir)
        name = corpus if corpus in CORPORA else path.stem
        picked = select_articles(path, name, args.max_articles, args.seed)
        print(f"{name}: {len(picked)} stories from {path}", file=sys.stderr)
        articles.extend(picked)
    squad, stats = generate(
        articles, nlp, args.seed, args.per_context, args.negative_ratio, progress=True, total=len(articles)
    )
    bad = check_offsets(squad)
    if bad:
        print(f"error: {bad} answers do not match their offsets; nothing written", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    print(stats.report())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB); all answer offsets verified")
    if args.samples:
        print(f"\n{args.samples} random examples:")
        print_samples(squad, args.samples, args.seed)
    return 0
