"""Issue #18, crash leftovers and locking: a `kill -9` while writing left a ~55 MB
`.gen-*.tmp-PID` folder forever; a death between renaming a new generation and
switching CURRENT made every later update fail with `OSError: Directory not empty`; two
`qa index` at once gave a traceback and a leftover folder. Now writers are serialised by
`index/.lock` (flock: it dies with its process), generation names are never reused, and
every write removes dead writers' temporary folders and unreferenced generations."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.store import LOCK_NAME, CorpusIndex, write_lock

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_40ab86d132b0175c.txt"
BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc.jsonl"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def _qa(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, env=ENV, **popen)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _entries(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir())


def _current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text().strip()


def _clean(index_dir: Path) -> None:
    """Exactly the lock, the pointer and the one generation it names."""
    assert _entries(index_dir) == sorted([LOCK_NAME, "CURRENT", _current(index_dir)])


def _loads(index_dir: Path, corpus: Path) -> CorpusIndex:
    index = CorpusIndex(index_dir, [corpus], Settings())
    assert index.load()
    return index


def _articles(path: Path, count: int, offset: int = 0) -> Path:
    """`count` generated news stories of a few hundred words, one per line of a .jsonl."""
    with path.open("w", encoding="utf-8") as fh:
        for n in range(offset, offset + count):
            body = " ".join(
                f"Council meeting {n} heard report {k} on the harbour budget of {n * 7 + k} million euros."
                for k in range(40)
            )
            fh.write(json.dumps({"id": f"story-{n}", "title": f"Harbour budget {n}", "text": body}) + "\n")
    return path


@pytest.fixture()
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(SEED, root / SEED.name)
    return root


@pytest.fixture()
def built(tmp_path, corpus) -> Path:
    index_dir = tmp_path / "index"
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    return index_dir


def test_leftovers_of_a_dead_writer_are_removed_by_the_next_write(built, corpus, capsys):
    dead = _dead_pid()
    gen = built / _current(built)
    # a writer killed while writing, and one killed after renaming its generation but
    # before switching CURRENT (the next old-style name: the update that then failed
    # with "Directory not empty")
    shutil.copytree(gen, built / f".gen-000099.tmp-{dead}")
    (built / f".CURRENT.tmp-{dead}").write_text("gen-000099")
    number = int(gen.name.split("-")[1])
    shutil.copytree(gen, built / f"gen-{number + 1:06d}")
    (built / LOCK_NAME).write_text(str(dead))  # its lock file too: no flock is held on it
    alive = built / f".gen-000100.tmp-{os.getpid()}"
    alive.mkdir()  # a live writer's folder is not touched

    (corpus / "extra.jsonl").write_text(
        json.dumps({"id": "x", "title": "Orchestra names conductor", "text": "The orchestra named Ana Ruiz."}) + "\n"
    )
    assert main(["index", str(corpus), "--index", str(built)]) == 0
    out, err = capsys.readouterr()
    assert "1 added" in out and "Traceback" not in err and "waiting" not in err
    alive.rmdir()
    _clean(built)
    assert len(_loads(built, corpus).files) == 2


def test_a_held_lock_makes_qa_index_wait_then_finish(built, corpus, tmp_path):
    _articles(corpus / "more.jsonl", 3)
    log = tmp_path / "stderr.txt"
    with write_lock(built):
        with log.open("w") as err:
            proc = _qa("index", str(corpus), "--index", str(built), stdout=subprocess.PIPE, stderr=err, text=True)
        deadline = time.monotonic() + 120
        while "waiting for pid" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        assert f"waiting for pid {os.getpid()}" in log.read_text()
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting while the lock is held
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "1 added" in out
    assert "Traceback" not in log.read_text()
    _clean(built)


def test_ask_does_not_queue_behind_a_writer(built, corpus, capsys):
    _articles(corpus / "more.jsonl", 2)
    with write_lock(built):
        code = main(["ask", "What was the UNGA vote?", "--corpus", str(corpus), "--index", str(built)])
    out, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: the index at") and "is being written by pid" in err
    assert "Traceback" not in err


def test_two_concurrent_qa_index_runs_are_serialised(tmp_path, corpus):
    _articles(corpus / "more.jsonl", 40)
    index_dir = tmp_path / "index"
    logs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = []
    for log in logs:
        with log.open("w") as err:
            procs.append(_qa("index", str(corpus), "--index", str(index_dir), stdout=err, stderr=subprocess.STDOUT))
    for proc in procs:
        assert proc.wait(timeout=600) == 0
    text = [log.read_text() for log in logs]
    assert not any("Traceback" in t for t in text), text
    # one built it; the other waited, then found it up to date (or built it first itself)
    assert sum("2 added" in t for t in text) == 1 and sum("0 added" in t for t in text) == 1, text
    _clean(index_dir)
    assert len(_loads(index_dir, corpus).files) == 2


# A real death (os._exit, as SIGKILL: no cleanup runs) at each step of a write.
DEATHS = {
    "writing files": "np.save = lambda *a, **k: os._exit(9)",
    "before renaming the generation": (
        "real = os.replace\nos.replace = lambda s, d: os._exit(9) if '.gen-' in str(s) else real(s, d)"
    ),
    "before switching CURRENT": (
        "real = os.replace\nos.replace = lambda s, d: os._exit(9) if str(d).endswith('CURRENT') else real(s, d)"
    ),
    "while removing old generations": "shutil.rmtree = lambda *a, **k: os._exit(9)",
}


@pytest.mark.slow
@pytest.mark.parametrize("step", list(DEATHS))
def test_death_at_any_step_of_a_write_loses_nothing(step, built, corpus):
    before = _current(built)
    _articles(corpus / "more.jsonl", 2)
    script = textwrap.dedent(
        """
        import os, shutil, sys
        import numpy as np
        from pathlib import Path
        from qa.config import Settings
        from qa.store import CorpusIndex
        {patch}
        CorpusIndex.open(Path(sys.argv[1]), [Path(sys.argv[2])], Settings(), bar=False)
        sys.exit(0)
        """
    ).format(patch=DEATHS[step])
    proc = subprocess.run(
        [sys.executable, "-c", script, str(built), str(corpus)], env=ENV, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 9, proc.stderr
    survivor = CorpusIndex(built, [corpus], Settings())
    assert survivor.load()  # whichever generation CURRENT names is whole
    assert _current(built) == before or len(survivor.files) == 2
    assert main(["index", str(corpus), "--index", str(built)]) == 0
    _clean(built)
    assert len(_loads(built, corpus).files) == 2


@pytest.mark.slow
def test_sigkill_during_qa_index_keeps_the_previous_index_and_the_next_run_finishes(
    built, corpus, tmp_path, reader_dir
):
    from qa.assistant import Assistant

    if BBC.exists():
        records = BBC.read_text(encoding="utf-8").splitlines()[:150]
        (corpus / "bbc.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    else:  # ../shared absent: generated stories of the same size
        _articles(corpus / "bbc.jsonl", 150)
    before = _current(built)
    log = tmp_path / "stderr.txt"
    started = time.monotonic()
    with log.open("w") as err:
        proc = _qa("index", str(corpus), "--index", str(built), stdout=err, stderr=err)
    while "embedding" not in log.read_text():
        assert proc.poll() is None and time.monotonic() - started < 300, log.read_text()
        time.sleep(0.2)
    time.sleep(2)
    assert proc.poll() is None, "the build ended before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_after = time.monotonic() - started

    assert _current(built) == before
    settings = Settings().with_overrides(reader_path=reader_dir)
    index = _loads(built, corpus)
    assert len(index.files) == 1
    result = Assistant(index, settings).answer("What was the UNGA vote?")
    assert result.text == "141 to 5" and result.citations[0].line == 4

    started = time.monotonic()
    rerun = _qa("index", str(corpus), "--index", str(built), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = rerun.communicate(timeout=1800)
    assert rerun.returncode == 0 and "1 added" in out and "Traceback" not in err
    print(
        f"\nkilled after {killed_after:.1f} s; the rerun finished in {time.monotonic() - started:.1f} s: {out.strip()}"
    )
    _clean(built)
    index = _loads(built, corpus)
    assert len(index.files) == 2 and len(index.chunks) > 100
    result = Assistant(index, settings).answer("What was the UNGA vote?")
    assert result.text == "141 to 5" and result.citations[0].line == 4
