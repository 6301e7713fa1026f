"""The app's serving side: background loading, and the JSON API via `gradio_client`.

The service tests are fast (a fake assistant); the `slow` test starts the real app
over the seed corpus and asks through Gradio's API like any script would.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import threading
from pathlib import Path

import pytest

from qa.config import Settings
from qa.ui.service import AssistantNotReady, AssistantService

ROOT = Path(__file__).resolve().parents[1]


class _Fake:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def test_service_loads_in_background_and_handlers_wait_for_it() -> None:
    gate, reported = threading.Event(), threading.Event()

    def factory(settings: Settings, progress) -> _Fake:
        progress(3, 10, "Embedding passages")
        reported.set()
        gate.wait(10)
        return _Fake(settings)

    service = AssistantService(Settings(), factory)
    with pytest.raises(AssistantNotReady, match="not started"):
        service.get(timeout=0)
    assert service.start() and not service.start()  # one load at a time
    assert reported.wait(10)
    status = service.status()
    assert status.loading and not status.ready and status.message == "Embedding passages 3/10…"
    with pytest.raises(AssistantNotReady, match="Still loading"):
        service.get(timeout=0)
    gate.set()
    assert isinstance(service.get(timeout=10), _Fake)
    assert service.status().ready and service.status().message == "Ready"


def test_failed_load_is_reported_not_raised_into_the_page() -> None:
    def factory(settings: Settings, progress) -> _Fake:
        raise FileNotFoundError("no reader model at /nowhere")

    service = AssistantService(Settings(), factory)
    service.start()
    assert not service.wait(10)
    assert "no reader model" in (service.status().error or "")
    with pytest.raises(AssistantNotReady, match="could not be loaded: FileNotFoundError"):
        service.get(timeout=1)


def test_switching_readers_keeps_the_old_one_until_the_new_one_loads(tmp_path: Path) -> None:
    def factory(settings: Settings, progress) -> _Fake:
        if settings.reader_path.name == "broken":
            raise OSError("bad weights")
        return _Fake(settings)

    service = AssistantService(Settings(reader_path=tmp_path / "first"), factory)
    service.start()
    first = service.get(timeout=10)
    service.reload(reader_path=tmp_path / "broken")
    service.wait(10)
    assert service.get(timeout=0) is first and "bad weights" in (service.status().error or "")
    service.reload(reader_path=tmp_path / "second", top_k=9)
    service.wait(10)
    current = service.get(timeout=0)
    assert current is not first and current.settings.reader_path.name == "second"
    assert service.settings.top_k == 9 and service.status().error is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_loopback(host: object) -> bool:
    if host in ("localhost", None, ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a hostname other than localhost: a DNS lookup off this machine


@pytest.fixture()
def offsite_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every DNS lookup or connection this process attempts to anything but loopback."""
    calls: list[str] = []
    real_getaddrinfo, real_connect, real_connect_ex = (
        socket.getaddrinfo,
        socket.socket.connect,
        socket.socket.connect_ex,
    )

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            calls.append(f"getaddrinfo {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def record(address: object) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            calls.append(f"connect {address[0]}")

    def connect(self, address):
        record(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        record(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return calls


@pytest.mark.slow
def test_gradio_client_asks_the_api_route_and_gets_json(tmp_path: Path, offsite_calls: list[str]) -> None:
    pytest.importorskip("gradio_client")
    from gradio_client import Client

    from qa.ui.app import launch

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "seeds", corpus)
    settings = Settings().with_overrides(corpus_dir=corpus, index_dir=tmp_path / "index")
    demo = launch(AssistantService(settings), port=_free_port(), block=False)
    try:
        client = Client(demo.local_url, verbose=False, download_files=False)
        result = client.predict("What was the UNGA vote?", api_name="/ask")
        assert isinstance(result, dict) and not result["abstained"]
        assert "141 to 5" in result["text"]
        cited = result["citations"][0]
        assert cited["source"] == "000_40ab86d132b0175c.txt" and cited["line"] == 4
        assert "141 to 5" in cited["quote"][cited["start"] : cited["end"]]  # the span, in its line

        follow = client.predict("How many abstained?", ["What was the UNGA vote?"], api_name="/ask")
        assert "34" in follow["text"] and follow["citations"][0]["line"] == 4

        unknown = client.predict("What did the Mars rover find on Titan?", api_name="/ask")
        assert unknown["abstained"] and unknown["citations"] == []

        with pytest.raises(Exception, match="the limit is 500"):
            client.predict("why? " * 200, api_name="/ask")

        listed = client.predict(api_name="/articles")
        assert any(a["source"] == "000_40ab86d132b0175c.txt" and a["chunks"] > 0 for a in listed)
    finally:
        demo.close()
    assert offsite_calls == []  # app start, model load and answering stayed on this machine


def test_app_takes_several_corpus_paths_and_defaults_to_the_index_corpus() -> None:
    import app

    assert app.parse_args(["--corpus", "seeds", "bbc.jsonl"]).corpus == [Path("seeds"), Path("bbc.jsonl")]
    assert app.parse_args([]).corpus is None  # AssistantService then serves the index's stored corpus
