"""Many clients at once against a running app: latency, throughput, errors, wrong answers.

`run_load` opens one `gradio_client.Client` per simulated user (a colleague's browser
tab) and has them ask through the app's ``/ask`` route until `total` questions have
been asked, all users starting together. Each answer is checked by the caller's
`check` (the benchmark and the test compare it with the answer the same app gave when
asked alone). `scripts/bench_load.py` runs it against the app answering one question
at a time and several at once, in the same run; `tests/reliability/test_load.py`
keeps a bounded run in CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.config import models_offline
from qa.evaluate import metrics

APP = Path(__file__).resolve().parents[2] / "app.py"
Check = Callable[[str, dict[str, Any]], str | None]  # (question, answer JSON) -> what is wrong, or None


@dataclass
class LoadResult:
    """What `run_load` saw: per-request seconds (in the order they finished), errors
    (exceptions) and wrong answers (what `check` said), and the wall time of the run."""

    clients: int
    requests: int
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    wall: float = 0.0

    def percentile(self, q: float) -> float | None:
        return metrics.percentile(self.seconds, q)

    @property
    def throughput(self) -> float:
        """Answers per second over the whole run."""
        return len(self.seconds) / self.wall if self.wall else 0.0

    def row(self, label: str) -> dict[str, Any]:
        p50, p95 = self.percentile(50), self.percentile(95)
        return {
            "mode": label,
            "clients": self.clients,
            "requests": self.requests,
            "p50_s": None if p50 is None else round(p50, 3),
            "p95_s": None if p95 is None else round(p95, 3),
            "answers_per_s": round(self.throughput, 3),
            "errors": len(self.errors),
            "wrong": len(self.wrong),
        }


def _client(url: str) -> Any:
    models_offline()  # gradio_client's request headers would otherwise look up huggingface.co
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False)


def ask_alone(url: str, questions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each question asked once, one after another: the reference answers."""
    client = _client(url)
    return {q: client.predict(q, api_name="/ask") for q in dict.fromkeys(questions)}


def run_load(url: str, questions: Sequence[str], clients: int, total: int, check: Check) -> LoadResult:
    """`clients` users asking `questions` in turn (request i asks question i mod n), all
    starting at once, until `total` have been asked; every answer goes through `check`."""
    if clients < 1 or total < 1 or not questions:
        raise ValueError("need at least one client, one request and one question")
    result = LoadResult(clients=clients, requests=total)
    users = [_client(url) for _ in range(clients)]  # connected first: the run times answers, not setup
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    counter = iter(range(total))

    def user(client: Any) -> None:
        start.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            question = questions[i % len(questions)]
            began = time.perf_counter()
            try:
                answer = client.predict(question, api_name="/ask")
            except Exception as exc:  # noqa: BLE001 - counted: an error under load is the finding
                with lock:
                    result.errors.append(f"{question!r}: {type(exc).__name__}: {exc}")
                continue
            took = time.perf_counter() - began
            problem = check(question, answer)
            with lock:
                result.seconds.append(took)
                if problem:
                    result.wrong.append(f"{question!r}: {problem}")

    threads = [threading.Thread(target=user, args=(c,), daemon=True) for c in users]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    return result


def same_answer(reference: dict[str, dict[str, Any]]) -> Check:
    """A check: the answer says and cites what the app said when the question was asked
    alone, and an answer (not an abstention) carries a citation whose quote holds it."""

    def check(question: str, answer: dict[str, Any]) -> str | None:
        alone = reference[question]
        if answer.get("abstained") != alone.get("abstained") or answer.get("text") != alone.get("text"):
            return f"answered {answer.get('text')!r}, alone {alone.get('text')!r}"
        cited = [(c["source"], c["line"]) for c in answer.get("citations", [])]
        if cited != [(c["source"], c["line"]) for c in alone.get("citations", [])]:
            return f"cited {cited}, alone {[(c['source'], c['line']) for c in alone.get('citations', [])]}"
        if not answer.get("abstained"):
            if not cited:
                return "answered without a citation"
            first = answer["citations"][0]
            span = first["quote"][first["start"] : first["end"]]
            if " ".join(span.split()) != " ".join(str(answer["text"]).split()):
                return f"cited span {span!r} is not the answer"
        return None

    return check


@contextmanager
def app_process(
    args: Sequence[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None, startup_s: float = 900
) -> Iterator[str]:
    """`python app.py ARGS --port N` in its own process on a free loopback port, output
    to `log`; yields its URL once it serves the page, and stops it after.

    The one way the benchmarks and tests start the app (the load run, the browser
    tests, the README walkthrough): it fails with the log's tail if the app exits or
    never serves, rather than leaving a test to time out on a dead port.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    # gradio checks its own URL on launch: through a proxy set in the environment it would fail
    env = {**(os.environ if env is None else env), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, str(APP), *args, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd or APP.parent,
            env=env,
        )
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"app.py exited with {server.returncode}:\n{_tail(log)}")
            try:
                with no_proxy.open(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"app.py did not serve {url} within {startup_s:.0f} s:\n{_tail(log)}") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _tail(log: Path) -> str:
    return log.read_bytes()[-3000:].decode(errors="replace")


@contextmanager
def serving(corpus: Path, index_dir: Path, concurrency: int, answer_cache: int | None = None) -> Iterator[str]:
    """`python app.py` over `corpus` in its own process, answering `concurrency`
    questions at once; yields its URL once it has answered a first question (models
    loaded), stops it after.

    Its own process, as in use: clients in the server's process would share its
    interpreter lock and slow it down.
    """
    args = ["--corpus", str(corpus), "--index-dir", str(index_dir), "--concurrency", str(concurrency)]
    if answer_cache is not None:
        args += ["--answer-cache", str(answer_cache)]
    with tempfile.TemporaryDirectory(prefix="qa-serving-") as tmp, app_process(args, Path(tmp) / "app.log") as url:
        _client(url).predict("Is the app ready?", api_name="/ask")  # waits for the models
        yield url


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The benchmark's rows as a terminal table."""
    head = f"{'mode':<28} {'clients':>7} {'requests':>8} {'p50 s':>7} {'p95 s':>7} {'answers/s':>9} {'errors':>6} {'wrong':>5}"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['mode']:<28} {r['clients']:>7} {r['requests']:>8} {r['p50_s'] or 0:>7.2f} {r['p95_s'] or 0:>7.2f}"
            f" {r['answers_per_s']:>9.2f} {r['errors']:>6} {r['wrong']:>5}"
        )
    return "\n".join(lines)
