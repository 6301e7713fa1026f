"""The `milvus` store: the same index with its vectors and both searches in Milvus.

`MilvusIndex` is a `CorpusIndex` whose searches run in a Milvus collection instead of
FAISS and bm25s files: dense search over the vectors (inner product) and Milvus's own
BM25 full-text search, with filters pushed down as Milvus expressions. Everything
else is shared: files are read, chunked and embedded the same way, and the index
directory keeps the chunks (for citations), the vectors, the manifest and the
generation/lock/checksum machinery, so crash safety and repair work as for `faiss`.

Where Milvus runs: `Settings.store_uri` (`--store-uri`). A path ending in ``.db`` is a
Milvus Lite database, started in-process by `pymilvus.MilvusClient` (nothing to run; the
default is ``<index dir>/milvus.db``); ``http://host:19530`` is a Milvus Standalone or
Distributed server, with the same code. Install with ``pip install -e '.[milvus]'``.

Each generation is its own collection (``newsqa_gen_000007_3fa2c1``), written completely
before CURRENT switches to it; collections of other generations are dropped with the
other leftovers. BM25 reads the same terms bm25s does (`bm25_tokenize`: stopwords out,
stemmed), stored pre-tokenized (space-separated word tokens, which the standard analyser keeps whole), with bm25s's k1 and b,
so both stores rank passages alike (`tests/test_store_milvus.py`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import NewsQAError
from qa.store import CorpusIndex, IndexUnreadable, Ranking, _best_first, bm25_tokenize
from qa.types import Filter, article_date

PREFIX = "newsqa_"
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults, so both stores score alike
INSERT_BATCH = 1000
_MAX_TEXT = 65_535  # Milvus VARCHAR limit (bytes)


class MilvusUnavailable(NewsQAError):
    """pymilvus / milvus-lite are not installed, or the Milvus at the URI cannot be reached."""


def collection_name(generation: str) -> str:
    """The collection of one generation ("gen-000007-3fa2c1" -> "newsqa_gen_000007_3fa2c1")."""
    return PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", generation)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a Milvus string literal: "..." with escapes


class MilvusIndex(CorpusIndex):
    """A `CorpusIndex` searched through Milvus (module docstring)."""

    search_files = ("milvus.json",)

    def __init__(self, index_dir: Path, roots: list[Path], settings: Any, embedder: Any = None) -> None:
        super().__init__(index_dir, roots, settings, embedder)
        self.uri = settings.store_uri or str(Path(index_dir) / "milvus.db")
        self._client: Any = None

    # ------------------------------------------------------------- identity
    def _params(self) -> dict:
        return {**super()._params(), "store": "milvus"}

    def _describe_search(self) -> dict[str, Any]:
        return {"store": "milvus", "uri": self.uri, "bm25": {"k1": BM25_K1, "b": BM25_B}}

    # ------------------------------------------------------------- Milvus
    def client(self) -> Any:
        """The `MilvusClient` for `uri` (Milvus Lite starts here for a .db path)."""
        with self._search_lock:
            if self._client is None:
                try:
                    from pymilvus import MilvusClient
                except ImportError as exc:
                    raise MilvusUnavailable(
                        f"the milvus store needs pymilvus and milvus-lite ({exc}); pip install -e '.[milvus]'"
                    ) from exc
                if not self.uri.startswith(("http://", "https://", "tcp://")):
                    Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
                try:
                    self._client = MilvusClient(self.uri)
                except Exception as exc:
                    raise MilvusUnavailable(f"cannot open Milvus at {self.uri}: {exc}") from exc
            return self._client

    def _collection(self) -> str:
        if self._gen_dir is None:
            raise IndexUnreadable(f"index at {self.index_dir} has no generation to search")
        return collection_name(self._gen_dir.name)

    def load(self) -> bool:
        """`CorpusIndex.load`, then check the generation's collection holds every chunk."""
        if not super().load():
            return False
        name = self._collection()
        client = self.client()
        if not client.has_collection(name):
            raise IndexUnreadable(f"Milvus at {self.uri} has no collection {name} for this index")
        count = int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])
        if count != len(self.chunks):
            raise IndexUnreadable(f"Milvus collection {name} holds {count} rows for {len(self.chunks)} chunks")
        client.load_collection(name)
        return True

    def _write_search(self, tmp: Path, name: str) -> None:
        """Fill generation `name`'s collection (dropping a half-written one first)."""
        from pymilvus import DataType, Function, FunctionType

        client = self.client()
        collection = collection_name(name)
        if client.has_collection(collection):
            client.drop_collection(collection)
        dim = int(self.vectors.shape[1]) if self.vectors.ndim == 2 and self.vectors.shape[1] else 384
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("terms", DataType.VARCHAR, max_length=_MAX_TEXT, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})  # fmt: skip
        schema.add_field("source", DataType.VARCHAR, max_length=1024)
        schema.add_field("date", DataType.VARCHAR, max_length=16)  # YYYY-MM-DD, "" when undated
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"], output_field_names=["sparse"]
            )  # fmt: skip
        )
        indexes = client.prepare_index_params()
        indexes.add_index("dense", index_type="FLAT", metric_type="IP")
        indexes.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                          params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})  # fmt: skip
        client.create_collection(collection, schema=schema, index_params=indexes)
        terms = bm25_tokenize([c.search_text for c in self.chunks], self._stemmer()) if self.chunks else []
        for start in range(0, len(self.chunks), INSERT_BATCH):
            rows = []
            for i in range(start, min(start + INSERT_BATCH, len(self.chunks))):
                chunk = self.chunks[i]
                day = article_date(chunk.date)
                rows.append(
                    {
                        "id": i,
                        "terms": " ".join(terms[i])[: _MAX_TEXT // 4] or "_",  # BM25 needs a token
                        "source": chunk.source[:1024],
                        "date": day.isoformat() if day else "",
                        "dense": np.asarray(self.vectors[i], dtype=np.float32).tolist(),
                    }
                )
            client.insert(collection, rows)
        client.flush(collection)
        (tmp / "milvus.json").write_text(
            json.dumps({"uri": self.uri, "collection": collection, "rows": len(self.chunks)}), encoding="utf-8"
        )

    def _remove_leftovers(self) -> None:
        """`CorpusIndex._remove_leftovers`, and the collections of generations that are gone."""
        super()._remove_leftovers()
        if not self.index_dir.exists():
            return
        client = self.client()
        current = self._current_dir()
        keep = collection_name(current.name) if current else None
        for name in client.list_collections():
            if name.startswith(PREFIX + "gen_") and name != keep:
                client.drop_collection(name)

    def warm_up(self) -> None:
        self.embedder.warm_up()
        if self.chunks:
            self.client().load_collection(self._collection())

    # ------------------------------------------------------------- search
    def expression(self, filter: Filter | None) -> str:
        """`filter` as a Milvus boolean expression ("" for none): dates compared as
        YYYY-MM-DD strings (undated rows hold "", so a date bound leaves them out, as
        `Filter.allows` does); sources as the list of this index's sources it allows."""
        if not filter:
            return ""
        parts = []
        if filter.since:
            parts.append(f"date >= {_quote(filter.since.isoformat())}")
        if filter.until:
            parts.append(f'date != "" and date <= {_quote(filter.until.isoformat())}')
        if filter.sources:
            allowed = [source for source in self._sources() if filter.allows_source(source)]
            parts.append(f"source in [{', '.join(_quote(s) for s in allowed)}]")
        return " and ".join(parts)

    def _sources(self) -> list[str]:
        """The distinct chunk sources, sorted; worked out once per chunk list, not per search."""
        with self._search_lock:
            cached = self.__dict__.get("_sources_cache")
            if cached is None or cached[0] is not self.chunks or cached[1] != len(self.chunks):
                cached = (self.chunks, len(self.chunks), sorted({c.source for c in self.chunks}))
                self.__dict__["_sources_cache"] = cached
            return cached[2]

    def _search(self, data: list, field: str, k: int, filter: Filter | None) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        expression = self.expression(filter)
        if filter and filter.sources and expression.endswith("source in []"):
            return []
        hits = self.client().search(
            self._collection(), data=data, anns_field=field, limit=min(k, len(self.chunks)), filter=expression
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    def search_bm25(self, query: str, k: int, filter: Filter | None = None) -> Ranking:
        """Up to `k` chunk ids sharing a term with `query`, best BM25 score first (Milvus
        full-text search over the bm25s terms), among those `filter` allows."""
        with self._search_lock:
            tokens = bm25_tokenize([query], self._stemmer())
        if not tokens or not tokens[0]:
            return []
        found = self._search([" ".join(tokens[0])], "sparse", k, filter)
        return _best_first((i, abs(score)) for i, score in found)  # Milvus Lite reports BM25 negated

    def search_dense(self, query: str, k: int, filter: Filter | None = None) -> Ranking:
        """The `k` chunk ids closest to `query` (inner product of unit vectors) that `filter` allows."""
        if not self.chunks:
            return []
        vector = self.embedder.embed([query])[0]
        return _best_first(self._search([vector.tolist()], "dense", k, filter))
