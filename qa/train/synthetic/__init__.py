"""Synthetic extractive QA generated from raw news text (training time only).

News is the project's domain, but every human-labelled training source is Wikipedia,
Reddit, reviews or science. This package turns raw news stories (BBC 2004-05, Reuters
1987 in ``../shared/data``) into SQuAD-format training data, following the
cloze-to-question recipe of Lewis et al. (2019, "Unsupervised Question Answering by
Cloze Translation") and the template / wh-movement variant of Fabbri et al. (2020,
"Template-Based Question Generation from Retrieved Sentences"):

1. **Contexts.** Each story is cut into SQuAD-like paragraphs of 60-200 words (whole
   source paragraphs merged, over-long ones split at sentence boundaries).
2. **Answer candidates.** Named entities, numbers, money, percentages, dates and noun
   phrases. With spaCy and an English pipeline installed (an optional training-time
   dependency, imported lazily) they come from its NER, noun chunks and dependency
   parse; without it a regex/heuristic extractor finds capitalised names, numbers with
   units, money, percentages, dates and years.
3. **Questions.** The answer's sentence is trimmed (subordinate/coordinated clauses,
   appositions, relative clauses, parentheticals and some optional modifiers dropped,
   so a question does not simply copy its sentence) and turned into a question by
   answer type (PERSON -> who, DATE -> when, MONEY -> how much, CARDINAL -> how many,
   GPE/LOC after in/at -> where, ORG -> which organisation/what, else what). Subject
   answers are replaced in place ("Who said ...?"); objects, prepositional objects and
   adverbials are fronted with auxiliary inversion or do-support ("How many
   subscribers did AOL lose?", "When did Time Warner say ...?"); anything else falls
   back to an in-situ cloze question ("Time Warner is one of the biggest investors in
   which company?").
4. **Unanswerable negatives.** A question paired with another paragraph of the same
   story that does not mention its answer (preferring the paragraph that shares the
   most words with the question, so the negative is plausible), marked
   ``is_impossible`` as in SQuAD v2.0, so the reader learns to abstain.

Everything is deterministic for a seed (each article has its own RNG, so output does not
depend on batching). The seed articles (``seeds/``) are never used: a corpus file under a
``seeds`` directory is refused, and any story sharing a sentence with a seed article is
skipped.

    python -m qa.train.synthetic --out runs/synthetic/news_qa.json \\
        --corpus bbc --corpus reuters --max-articles 2000 --seed 13
"""
