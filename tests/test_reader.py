"""The extractive reader's contract, on a tiny model trained in a second (no bundled reader needed).

Every precision must return well-formed spans (`passages[s.passage][s.start:s.end] ==
s.text`, scores in [0, 1], best first), and on a model that has learnt its answers the
faster precisions must pick the same best span as float32.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from qa.reader import PRECISIONS, Reader, Span, bf16_native
from tests.tiny_reader import EXAMPLES, tiny_model

NATIVE = "bf16" if bf16_native() else "fp32"  # what the default, "auto", resolves to on this CPU


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory) -> Path:
    return tiny_model(tmp_path_factory.mktemp("tiny-reader"), train_steps=150)


@pytest.fixture(scope="module")
def random_dir(tmp_path_factory) -> Path:
    return tiny_model(tmp_path_factory.mktemp("random-reader"), train_steps=0)


def _check_well_formed(spans: list[Span], passages: list[str], top_n: int) -> None:
    assert 0 < len(spans) <= top_n
    for s in spans:
        assert 0 <= s.passage < len(passages)
        assert passages[s.passage][s.start : s.end] == s.text
        assert s.text.strip()
        assert 0.0 <= s.score <= 1.0
        assert 0.0 <= s.no_answer <= 1.0
    scores = [s.score for s in spans]
    assert scores == sorted(scores, reverse=True)
    assert len({(s.passage, s.start, s.end) for s in spans}) == len(spans)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_spans_are_well_formed_at_every_precision(random_dir, precision):
    reader = Reader(random_dir, precision=precision)
    assert reader.precision == precision
    passages = [p for _, p, _ in EXAMPLES[:2]]
    _check_well_formed(reader.read(EXAMPLES[0][0], passages, top_n=7), passages, 7)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_long_passages_split_into_windows_stay_well_formed(random_dir, precision):
    reader = Reader(random_dir, max_length=48, stride=16, precision=precision)
    passages = [" ".join(p for _, p, _ in EXAMPLES) * 3, "A short one about Kherson."]
    assert len(reader.tokenizer(passages[0])["input_ids"]) > 48  # really needs several windows
    _check_well_formed(reader.read("Where would the talks resume?", passages, top_n=10), passages, 10)


def test_trained_model_finds_its_answers_in_fp32(trained_dir):
    reader = Reader(trained_dir)
    for question, passage, answer in EXAMPLES:
        assert reader.read(question, [passage], top_n=1)[0].text == answer


@pytest.mark.parametrize("precision", [p for p in PRECISIONS if p != "fp32"])
def test_fast_precisions_pick_the_same_best_span_as_fp32(trained_dir, precision):
    fp32, fast = Reader(trained_dir, precision="fp32"), Reader(trained_dir, precision=precision)
    distractor = "Talks between the delegations were held near the border on Monday."
    for question, passage, _ in EXAMPLES:
        passages = [distractor, passage]
        want, got = fp32.read(question, passages, top_n=3), fast.read(question, passages, top_n=3)
        _check_well_formed(got, passages, 3)
        assert (got[0].passage, got[0].start, got[0].end) == (want[0].passage, want[0].start, want[0].end)
        assert got[0].score == pytest.approx(want[0].score, abs=0.1)


def test_auto_precision_resolves_to_a_concrete_one(random_dir):
    from qa.reader import bf16_native

    assert Reader(random_dir, precision="auto").precision == ("bf16" if bf16_native() else "fp32")


def test_unknown_precision_is_refused(random_dir):
    with pytest.raises(ValueError, match="precision"):
        Reader(random_dir, precision="fp8")


def test_no_passages_no_spans(random_dir):
    assert Reader(random_dir).read("Anything?", []) == []


def test_precision_comes_from_settings_whose_default_the_environment_may_set(random_dir, monkeypatch):
    from qa.config import Settings

    monkeypatch.setenv("QA_READER_PRECISION", "int8")
    assert Reader(random_dir).precision == NATIVE  # the reader itself reads no environment
    assert Reader.from_settings(Settings(reader_path=random_dir)).precision == "int8"
    assert Reader.from_settings(Settings(reader_path=random_dir, reader_precision="fp32")).precision == "fp32"


def test_from_settings_reads_window_stride_and_answer_length(trained_dir):
    from qa.config import Settings

    settings = Settings(reader_path=trained_dir, reader_max_length=96, reader_stride=32, max_answer_tokens=1)
    reader = Reader.from_settings(settings)
    assert (reader.max_length, reader.stride, reader.max_answer_tokens) == (96, 32, 1)
    question, passage, _ = EXAMPLES[0]
    spans = reader.read(question, [passage + " The delegates met in Geneva in late March."], top_n=10)
    # one token, widened to its whole word at most: never two words
    assert len(spans) == 10 and all(len(s.text.split()) == 1 for s in spans)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_context_is_read_but_never_answered_from(random_dir, precision):
    """Spans index the passage, not context + passage, and never start inside the context."""
    reader = Reader(random_dir, precision=precision)
    passages = [p for _, p, _ in EXAMPLES[:2]]
    contexts = ["UN General Assembly votes on Ukraine resolution", ""]
    spans = reader.read(EXAMPLES[0][0], passages, top_n=40, contexts=contexts)
    _check_well_formed(spans, passages, 40)
    assert {s.passage for s in spans} == {0, 1}


def test_the_model_reads_question_then_context_then_passage(trained_dir, monkeypatch):
    """The headline reaches the model, just before the passage; spans still index the passage."""
    reader = Reader(trained_dir, precision="fp32")
    question, passage, _ = EXAMPLES[0]
    context = "UN General Assembly votes on Ukraine"
    seen = []
    forward = reader._forward
    monkeypatch.setattr(reader, "_forward", lambda enc: seen.append(enc) or forward(enc))
    best = reader.read(question, [passage], top_n=1, contexts=[context])[0]
    expected = reader.tokenizer(question, f"{context}\n{passage}")["input_ids"]
    assert list(seen[0]["input_ids"][0][: len(expected)]) == expected
    assert passage[best.start : best.end] == best.text and best.text.strip()  # offsets into the passage


def test_contexts_must_pair_with_passages(random_dir):
    with pytest.raises(ValueError, match="pair up"):
        Reader(random_dir).read("Where?", ["one passage", "two passages"], contexts=["only one"])


def test_per_passage_caps_each_passage_not_the_whole_list(random_dir):
    reader = Reader(random_dir)
    passages = [p for _, p, _ in EXAMPLES[:2]] + ["Talks between the delegations were held near the border."]
    spans = reader.read(EXAMPLES[0][0], passages, top_n=2, per_passage=True)
    counts = {i: sum(s.passage == i for s in spans) for i in range(len(passages))}
    assert counts == {0: 2, 1: 2, 2: 2}
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)


def test_bf16_counts_as_native_only_with_the_cpu_flags():
    """oneDNN says yes on plain AVX512 too, where bf16 is emulated and slower than fp32."""
    assert bf16_native("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f amx_bf16 amx_tile\n")
    assert bf16_native("flags\t: avx512f avx512_bf16\n")
    assert not bf16_native("flags\t: fpu avx2 avx512f avx512_vnni\n")
    assert not bf16_native("no flags line here\n")


def test_an_encoder_without_a_trained_span_head_is_refused():
    """transformers would give it a random head: confident nonsense, so it is no reader."""
    from qa.encoders import minilm_dir
    from qa.reader import ReaderError

    reader = Reader(minilm_dir(), precision="fp32")  # constructing loads nothing
    with pytest.raises(ReaderError, match="no trained question-answering head"):
        reader.warm_up()


def test_length_sorted_batches_score_every_window_as_if_read_alone(trained_dir):
    """Windows are batched by length; each window's scores must still be its own."""
    passages = [p for _, p, _ in EXAMPLES] + ["Short.", EXAMPLES[0][1] * 6]  # 1 to several windows each
    batched = Reader(trained_dir, precision="fp32", batch_size=3, max_length=64, stride=16)
    alone = Reader(trained_dir, precision="fp32", batch_size=1, max_length=64, stride=16)
    for question, _, _ in EXAMPLES:
        a, b = batched.read(question, passages, top_n=10), alone.read(question, passages, top_n=10)
        assert [(s.passage, s.start, s.end) for s in a] == [(s.passage, s.start, s.end) for s in b]
        assert [s.score for s in a] == pytest.approx([s.score for s in b], abs=1e-5)


def test_length_batches_cover_every_window_once_within_the_batch_size():
    """A window left out is never scored; a batch over the size breaks the memory bound."""
    from qa.reader import length_batches

    lengths = sorted([99, 384, 150, 384, 260, 200, 37, 384, 384, 384, 120, 310, 64])
    for size in (1, 2, 4, 16):
        bounds = length_batches(lengths, size)
        assert [first for first, _ in bounds] == [0] + [last for _, last in bounds[:-1]]
        assert bounds[-1][1] == len(lengths)
        assert all(0 < last - first <= size for first, last in bounds)
    assert length_batches([], 16) == []


def test_length_batches_keep_short_windows_out_of_long_ones_padding():
    """Filling batches in order padded a 99-token window to 384: five mixed passages read
    1.65x slower than with the cut that pads least."""
    from qa.reader import length_batches

    lengths = [99, 150, 200, 260, 384, 384]
    bounds = length_batches(lengths, 16, overhead=32)
    padded = sum((last - first) * lengths[last - 1] for first, last in bounds)
    assert padded < len(lengths) * 384
    assert (4, 6) in bounds  # the two full windows share one pass
    assert length_batches([384] * 6, 16, overhead=32) == [(0, 6)]  # equal windows: one pass
