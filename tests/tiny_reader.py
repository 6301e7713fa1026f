"""A tiny BERT question-answering model trained in a second, for reader tests that must
not depend on the bundled reader (shared by test_reader and test_reader_int8)."""

from __future__ import annotations

from pathlib import Path

# (question, passage, answer): the tiny model memorises these.
EXAMPLES = [
    (
        "How many countries voted for the resolution?",
        "The General Assembly voted 141 to 5 to demand that Russia withdraw its forces. "
        "Thirty-five countries abstained, among them China and India.",
        "141",
    ),
    (
        "Which city did the troops encircle?",
        "Russian troops encircled Kherson on Wednesday while a long convoy stalled north "
        "of Kyiv. Officials said talks would resume in Belarus.",
        "Kherson",
    ),
    (
        "Where would the talks resume?",
        "Russian troops encircled Kherson on Wednesday while a long convoy stalled north "
        "of Kyiv. Officials said talks would resume in Belarus.",
        "Belarus",
    ),
]


def tiny_model(directory: Path, train_steps: int) -> Path:
    """Save a 2-layer BERT QA model with the MiniLM tokenizer to `directory`; with
    `train_steps` it learns EXAMPLES' answers, without it its span head stays random."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    from qa.encoders import minilm_dir

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    model = BertForQuestionAnswering(config)
    if train_steps:
        enc = tokenizer([q for q, _, _ in EXAMPLES], [p for _, p, _ in EXAMPLES], padding=True, return_tensors="pt")
        starts, ends = [], []
        for i, (_, passage, answer) in enumerate(EXAMPLES):
            char = passage.index(answer)
            starts.append(enc.char_to_token(i, char, sequence_index=1))
            ends.append(enc.char_to_token(i, char + len(answer) - 1, sequence_index=1))
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
        model.train()
        for _ in range(train_steps):
            loss = model(**enc, start_positions=torch.tensor(starts), end_positions=torch.tensor(ends)).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
