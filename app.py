"""`python app.py`: the newsqa chat in your browser, offline, on http://127.0.0.1:7860.

Thin on purpose: parse flags, build the UI (`qa.ui.app`), launch. The page is up in
a few seconds; the index and models load in the background while it shows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no calls home, set before gradio loads


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Chat with your news articles (Gradio UI).")
    parser.add_argument(
        "--corpus",
        type=Path,
        nargs="+",
        default=None,
        help="folders or files of .txt/.md/.jsonl articles (default: the corpus the index holds, else seeds/)",
    )
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="where the index is kept (default: Settings.index_dir)"
    )
    parser.add_argument(
        "--reader",
        type=Path,
        default=None,
        help="a bundled reader (fast, accurate) or a reader model folder (default: the bundled default)",
    )
    parser.add_argument("--store", choices=("faiss", "milvus"), default=None, help="where vectors live (default faiss)")
    parser.add_argument("--store-uri", default=None, help="with --store milvus: a Milvus Lite .db file or a server URI")
    parser.add_argument("--top-k", type=int, default=None, help="passages the reader sees per question")
    parser.add_argument("--threshold", type=float, default=None, help="abstain below this confidence (0-1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (uses the network)")
    parser.add_argument(
        "--answer-cache",
        type=int,
        default=None,
        help="answers kept for questions asked again (default: Settings.answer_cache; 0: none)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="questions answered at once; their reader passes are batched together (default: 8; 1: one at a time)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from qa.config import Settings, SettingsError, models_offline
    from qa.ui.service import AssistantService

    models_offline()  # before gradio, which loads huggingface_hub, is imported

    try:
        settings = Settings().with_overrides(
            index_dir=args.index_dir,
            reader_path=args.reader,
            top_k=args.top_k,
            threshold=args.threshold,
            answer_cache=args.answer_cache,
            store=args.store,
            store_uri=args.store_uri,
        )
    except SettingsError as err:  # one line and exit 2, like the `qa` command
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.concurrency is not None and args.concurrency < 1:
        print(f"error: --concurrency must be at least 1, got {args.concurrency}", file=sys.stderr)
        raise SystemExit(2)
    from qa.ui.app import MAX_CONCURRENT_ANSWERS, launch  # imports gradio (~3 s)

    service = AssistantService(settings, corpus=args.corpus)
    served = ", ".join(map(str, service.corpus.paths))
    origin = "the index's stored corpus" if service.corpus.stored else "corpus"
    print(f"newsqa: index {settings.index_dir}, serving {origin}: {served}", file=sys.stderr)
    if service.corpus.note:
        print(f"newsqa: {service.corpus.note}", file=sys.stderr)
    launch(
        service,
        host=args.host,
        port=args.port,
        share=args.share,
        concurrency=args.concurrency or MAX_CONCURRENT_ANSWERS,
    )


if __name__ == "__main__":
    main()
