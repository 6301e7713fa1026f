"""Questions from a spaCy dependency parse: wh-movement with auxiliary inversion.

Subject answers are replaced in place, objects and prepositional objects are fronted
with inversion or do-support, and anything else falls back to an in-situ cloze; clauses
and asides away from the answer are pruned so a question does not copy its sentence.
"""

from __future__ import annotations

import random
from typing import Any

from qa.train.synthetic.questions import WHEN_PREPS, date_wh, finish_question, org_wh

# Items of a question under construction are spaCy tokens, plain strings (wh-phrases,
# inserted auxiliaries) or (token, text) pairs (a token re-cased or lemmatised in place);
# keeping tokens lets `_join` restore the original spacing between neighbours.

DROP_DEPS = {"advcl", "parataxis", "appos", "relcl", "intj", "meta", "dep", "discourse", "preconj", "punct"}
KEPT_PUNCT = {"$", "£", "€", "%", "-", "(", ")", "[", "]", "/", "&"}
OPTIONAL_DEPS = {"prep", "npadvmod", "advmod", "agent"}
SUBJECT_DEPS = {"nsubj", "nsubjpass", "expl", "csubj"}
OBJECT_DEPS = {"dobj", "attr", "oprd", "dative", "npadvmod", "advmod"}
RELATIVE = {"which", "who", "that", "whom"}
AUX_FIX = {"ca": "can", "wo": "will", "sha": "shall", "'ll": "will", "'d": "would", "'s": "is", "'re": "are",
           "'ve": "have", "'m": "am", "n't": "not"}  # fmt: skip
SAY_VERBS = {"say", "announce", "warn", "agree", "want", "plan", "accuse", "urge", "insist", "demand", "claim",
             "threaten", "vote", "decide", "refuse", "reject", "promise", "pledge"}  # fmt: skip

PERSON_NOUNS = set(
    """man woman men women people person boy girl child children official officials spokesman
    spokeswoman spokesperson analyst analysts executive executives chairman chairwoman
    president minister director manager managers player players coach leader leaders chief
    boss singer actor actress star judge lawyer lawyers secretary governor senator voters
    fans founder owner chancellor premier striker captain winner champion economist
    economists investors traders dealers workers staff members member partner author
    director-general mp mps candidate candidates""".split()
)
CHANGE_VERBS = set(
    """rise fall jump drop climb increase decrease grow slump slip gain lose surge dip decline
    plunge soar ease edge tumble rally advance cut raise boost lift reduce lower shed
    sink slide fell""".split()
)
LOCATIVE_PREPS = {"in", "at", "inside", "near", "within", "across", "throughout"}


def _contains(tok, span) -> bool:
    return span.start <= tok.i < span.end


def _subtree_has(tok, span) -> bool:
    return tok.left_edge.i < span.end and tok.right_edge.i >= span.start


def _pruned(head, answer, rng: random.Random, optional_p: float) -> list:
    """Tokens of `head`'s subtree minus clauses and asides that do not hold the answer."""
    out = []
    stack = [head]
    # The verb's first complement stays: "regarded herself [as having ...]" needs it.
    first_right = next((c for c in head.rights if c.dep_ not in ("punct", "neg", "prt")), None)
    while stack:
        tok = stack.pop()
        out.append(tok)
        for child in tok.children:
            if _subtree_has(child, answer):
                stack.append(child)
                continue
            dep = child.dep_
            if dep in DROP_DEPS and not (dep == "punct" and child.text in KEPT_PUNCT):
                continue
            if dep == "punct" and child.text == "-" and (child.whitespace_ or child.doc[child.i - 1].whitespace_):
                continue
            if dep == "conj" and child.pos_ in ("VERB", "AUX"):
                continue
            if dep == "cc" and (
                child.i < tok.i or any(c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") for c in tok.children)
            ):
                continue
            if tok.i == head.i and dep == "mark":
                continue
            if (
                tok.i == head.i
                and dep in OPTIONAL_DEPS
                and child.i != getattr(first_right, "i", -1)
                and rng.random() < optional_p
            ):
                continue
            if dep == "advmod" and child.lower_ in {"however", "also", "meanwhile", "still", "though", "instead"}:
                continue
            stack.append(child)
    # Parenthetical asides: drop bracketed stretches that do not hold the answer.
    doc = head.doc
    keep_ids = {t.i for t in out}
    for t in out:
        if t.text in ("(", "["):
            close = _bracket_close(doc, t.i)
            if close is not None and (close < answer.start or t.i >= answer.end):
                keep_ids -= set(range(t.i, close + 1))
    # Asides between spaced dashes ("The Liberace of Baghdad - about a pianist - won").
    dashes = [t.i for t in out if t.text in ("-", "--", "—", "–") and (t.whitespace_ or doc[t.i - 1].whitespace_)]
    if dashes:
        bounds = [*dashes, max(t.i for t in out) + 1] if len(dashes) % 2 else dashes
        for a, b in zip(bounds[::2], bounds[1::2]):
            if b < answer.start or a >= answer.end:
                keep_ids -= set(range(a, b + 1))
    return [doc[i] for i in sorted(keep_ids)]


def _bracket_close(doc, i: int) -> int | None:
    pair = {"(": ")", "[": "]"}[doc[i].text]
    for j in range(i + 1, min(len(doc), i + 40)):
        if doc[j].text == pair:
            return j
    return None


def _tok(item):
    if isinstance(item, tuple):
        return item[0]
    return None if isinstance(item, str) else item


def _join(items: list) -> str:
    """Text of question items, keeping the original spacing between adjacent tokens."""
    parts: list[str] = []
    prev = None
    for item in items:
        tok = _tok(item)
        text = item if isinstance(item, str) else (item[1] if isinstance(item, tuple) else item.text)
        if tok is not None and prev is not None and tok.i == prev.i + 1:
            parts.append(prev.whitespace_)
        elif parts:
            parts.append(" ")
        parts.append(text)
        prev = tok
    return "".join(parts)


def _lower_start(items: list, sent) -> list:
    """Lower-case a sentence-initial common word that no longer starts the question."""
    if not items:
        return items
    tok = _tok(items[0])
    if tok is None or isinstance(items[0], tuple) or tok.i != sent.start:
        return items
    if (
        tok.pos_ == "PROPN"
        or (tok.ent_type_ and not tok.is_stop)
        or tok.text == "I"
        or (tok.text.isupper() and len(tok.text) > 1)
    ):
        return items
    return [(tok, tok.text[:1].lower() + tok.text[1:]), *items[1:]]


def _wh_for(label: str, answer, role: str, verb, rng: random.Random) -> str | None:
    text = answer.text
    if label == "PERSON":
        return "who"
    if label == "ORG":
        wh = org_wh(text, rng)
        return "which organisation" if wh == "what" and role == "subject" else wh
    if label in ("GPE", "LOC", "FAC"):
        if role == "subject" and label == "GPE" and answer.root.dep_ in ("nsubj", "nsubjpass", "poss"):
            return (
                "which country" if verb is None or verb.lemma_ not in SAY_VERBS or answer.root.dep_ == "poss" else "who"
            )
        return "what"
    if label in ("DATE", "TIME"):
        return date_wh(text)
    if label == "MONEY":
        return "how much"
    if label == "PERCENT":
        if role != "subject" and verb is not None and verb.lemma_ in CHANGE_VERBS:
            return "by how much"
        return "what percentage"
    if label == "QUANTITY":
        return "how much"
    if label == "CARDINAL":
        return "how many"
    if label == "NOUN_PHRASE":
        if answer.root.lemma_.lower() in PERSON_NOUNS or answer.root.lower_ in PERSON_NOUNS:
            return "who"
        return "who" if role == "subject" and verb is not None and verb.lemma_ in SAY_VERBS else "what"
    return "what"


def _antecedent(relative_verb, answer) -> list | None:
    """For 'X, which rose 5%': the tokens of X (without the relative clause or asides)."""
    noun = relative_verb.head
    skip: set[int] = set()
    for child in noun.children:
        if child.dep_ in ("relcl", "appos", "punct", "acl") or child.i == relative_verb.i:
            skip.update(t.i for t in child.subtree)
    tokens = [t for t in noun.subtree if t.i not in skip]
    if any(_contains(t, answer) for t in tokens):
        return None
    return tokens


def _subject(finite, answer, rng: random.Random) -> tuple[Any, list] | None:
    """(subject token, the items to say for it) of a finite clause, or None."""
    subjects = [c for c in finite.children if c.dep_ in SUBJECT_DEPS]
    if subjects:
        subject = subjects[0]
        if finite.dep_ == "relcl" and subject.lower_ in RELATIVE:
            antecedent = _antecedent(finite, answer)
            return (subject, antecedent) if antecedent else None
        items = [t for t in _pruned(subject, answer, rng, 0.0) if t.dep_ not in ("punct",) or t.text in KEPT_PUNCT]
        return subject, _resolve_pronoun(subject, finite, items, answer)
    if finite.dep_ == "conj" and finite.head.pos_ in ("VERB", "AUX"):
        shared = [c for c in finite.head.children if c.dep_ in SUBJECT_DEPS]
        if (
            shared
            and not _subtree_has(shared[0], answer)
            and shared[0].lower_ not in RELATIVE
            and shared[0].pos_ in ("NOUN", "PROPN", "PRON")
        ):
            return None, _pruned(shared[0], answer, rng, 0.0)
    return None


def _resolve_pronoun(subject, finite, subject_items: list, answer) -> list:
    """'it'/'he'/'they' in reported speech -> the reporting clause's named subject."""
    if len(subject_items) != 1 or subject.lower_ not in {"it", "he", "she", "they"}:
        return subject_items
    head = finite.head
    if finite.dep_ != "ccomp" or head.pos_ not in ("VERB", "AUX"):
        return subject_items
    outer = next((c for c in head.children if c.dep_ == "nsubj"), None)
    if outer is None or outer.pos_ != "PROPN" or _subtree_has(outer, answer):
        return subject_items
    skip: set[int] = set()
    for child in outer.children:
        if child.dep_ in ("appos", "relcl", "punct", "acl"):
            skip.update(t.i for t in child.subtree)
    named = [t for t in outer.subtree if t.i not in skip]
    return named or subject_items


def _finite_head(verb):
    finite = verb
    while finite.dep_ == "xcomp" and finite.head.pos_ in ("VERB", "AUX"):
        finite = finite.head
    return finite


def _is_finite(finite) -> bool:
    auxes = [c for c in finite.children if c.dep_ in ("aux", "auxpass") and c.i < finite.i]
    if any(a.lower_ == "to" for a in auxes):
        return False
    return finite.tag_ in ("VBD", "VBZ", "VBP", "MD") or any(a.tag_ in ("VBD", "VBZ", "VBP", "MD") for a in auxes)


def spacy_question(sent, answer, label: str, rng: random.Random, optional_p: float = 0.3) -> tuple[str, str] | None:
    """Question for `answer` (a Span) inside `sent` (a parsed sentence Span): (text, style)."""
    # The verb governing the answer, and the answer's ancestor that hangs off it.
    tok = answer.root
    verb = arg = None
    while tok.head.i != tok.i:
        if tok.head.pos_ in ("VERB", "AUX") and not _contains(tok.head, answer):
            verb, arg = tok.head, tok
            break
        tok = tok.head
    if (
        verb is None
        or arg is None
        or verb.dep_ in ("acl", "amod", "pcomp", "csubj", "advcl")
        or not (sent.start <= verb.i < sent.end)
    ):
        return _cloze(sent, answer, label, rng, optional_p, verb)
    finite = _finite_head(verb)
    if not _is_finite(finite):
        return _cloze(sent, answer, label, rng, optional_p, verb)
    found = _subject(finite, answer, rng)
    if found is None:
        return _cloze(sent, answer, label, rng, optional_p, verb)
    subject, subject_items = found
    if subject is not None and subject.i > finite.i and subject.dep_ != "expl":
        return None  # quotative inversion ('..., said Ross Blanchard, vice president of ...')
    clause = _pruned(finite, answer, rng, optional_p)
    if subject is not None and arg == subject and verb == finite:
        wh = _wh_for(label, answer, "subject", verb, rng)
        if wh is None or wh in ("how long", "by how much") or finite.dep_ == "relcl":
            return None
        items = _replace(clause, answer, wh)
        items = [t for t in items if _tok(t) is None or _tok(t).i >= subject.left_edge.i]  # no fronted adverbials
        return _finalise(_lower_start(items, sent), "subject")

    role = "prep" if arg.dep_ in ("prep", "agent") else "object"
    if role == "object" and arg.dep_ not in OBJECT_DEPS:
        return _cloze(sent, answer, label, rng, optional_p, verb)
    # Object, prepositional object or adverbial: front a wh-phrase, invert.
    if role == "prep":
        pobj = next((c for c in arg.children if c.dep_ == "pobj" and _subtree_has(c, answer)), None)
        if pobj is None:
            return _cloze(sent, answer, label, rng, optional_p, verb)
        np_ids = {t.i for t in pobj.subtree}
        whole = _covers(answer, pobj)
        prep = arg.lower_
        if label in ("DATE", "TIME") and whole and prep in WHEN_PREPS and date_wh(answer.text) != "how long":
            wh_items, moved_ids = [WHEN_PREPS[prep]], np_ids | {arg.i}
        elif label in ("DATE", "TIME") and whole and prep == "for" and date_wh(answer.text) == "how long":
            wh_items, moved_ids = ["how long"], np_ids | {arg.i}
        elif label in ("GPE", "LOC", "FAC") and whole and prep in LOCATIVE_PREPS:
            wh_items, moved_ids = ["where"], np_ids | {arg.i}
        elif label in ("DATE", "TIME"):
            return None
        elif arg.i < finite.i or arg.head.i != verb.i:
            return _cloze(sent, answer, label, rng, optional_p, verb)
        else:
            wh = _wh_for(label, answer, "object", verb, rng)
            if wh == "by how much":
                wh = "how much" if prep == "by" else "what percentage"
            phrase = _wh_phrase(pobj, answer, wh, label) if wh else None
            if phrase is None:
                return _cloze(sent, answer, label, rng, optional_p, verb)
            if prep == "by" and label in ("PERCENT", "MONEY"):
                wh_items, moved_ids = ["by", *phrase], np_ids | {arg.i}  # "By how much did sales rise?"
            elif any(t.i > arg.right_edge.i and not t.is_punct for t in clause):
                return _cloze(sent, answer, label, rng, optional_p, verb)
            else:
                wh_items, moved_ids = phrase, np_ids  # stranded preposition: "What did profits jump to?"
    else:
        if label in ("DATE", "TIME") and _covers(answer, arg):
            wh = "how long" if date_wh(answer.text) == "how long" else "when"
            wh_items, moved_ids = [wh], {t.i for t in arg.subtree}
        elif label in ("DATE", "TIME"):
            return None
        else:
            wh = _wh_for(label, answer, "object", verb, rng)
            if wh is None:
                return None
            phrase = _wh_phrase(arg, answer, wh, label)
            if phrase is None:
                return _cloze(sent, answer, label, rng, optional_p, verb)
            wh_items, moved_ids = phrase, {t.i for t in arg.subtree}
    subject_ids = {t.i for t in subject.subtree} if subject is not None else set()
    first_subject = subject.left_edge.i if subject is not None else -1
    auxes = [c for c in finite.children if c.dep_ in ("aux", "auxpass") and c.i < finite.i]
    neg = [c for c in finite.children if c.dep_ == "neg"]
    drop = moved_ids | subject_ids | {t.i for t in neg}
    rest = [t for t in clause if t.i not in drop and t.i > first_subject]
    if auxes:
        inverted = AUX_FIX.get(auxes[0].lower_, auxes[0].lower_)
        verb_items: list = [t for t in rest if t.i != auxes[0].i]
    elif finite.lemma_ == "be":
        inverted = AUX_FIX.get(finite.lower_, finite.lower_)
        verb_items = [t for t in rest if t.i != finite.i]
    else:
        do = {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(finite.tag_)
        if do is None:
            return _cloze(sent, answer, label, rng, optional_p, verb)
        inverted = do
        verb_items = [(t, finite.lemma_) if t.i == finite.i else t for t in rest]
    subject_items = _lower_start(subject_items, sent)
    items = [*wh_items, inverted, *subject_items, *(["not"] if neg else []), *verb_items]
    return _finalise(items, "moved")


def _covers(answer, tok) -> bool:
    """The answer is all of `tok`'s phrase except determiners, possessives and punctuation."""
    for t in tok.subtree:
        if _contains(t, answer):
            continue
        if t.dep_ in ("det", "punct", "case", "poss", "predet") and (t.i < answer.start or t.is_punct):
            continue
        return False
    return True


def _wh_phrase(np, answer, wh: str, label: str) -> list | None:
    """The fronted phrase for an argument holding the answer, or None for in-situ."""
    if _covers(answer, np):
        return [wh]
    rest = [
        t
        for t in np.subtree
        if not _contains(t, answer) and not (t.dep_ in ("det", "poss", "predet") and t.i < answer.start)
    ]
    rest = [t for t in rest if t.dep_ != "punct" or t.text == "-"]
    if label == "CARDINAL" and answer.root.dep_ in ("nummod", "quantmod") and answer.end <= np.i:
        # "the 5 new members of the board" -> "how many new members of the board"
        tail = [t for t in rest if t.i > answer.start]
        return [wh, *tail] if 1 <= len(tail) <= 8 else None
    if label in ("PERCENT", "MONEY", "QUANTITY", "CARDINAL") and answer.root == np:
        after = [t for t in rest if t.i >= answer.end]
        if after and after[0].lower_ == "of" and len(after) <= 6 and len(after) == len(rest):
            return [wh.replace("by how much", "what percentage"), *after]
    return None


def _replace(tokens: list, answer, wh: str) -> list:
    """Tokens with the answer span swapped for the wh-phrase; modifiers of the answer that
    precede it ("Mr", "the", "software giant", "goalkeeper") go too."""
    root = answer.root
    left_mods: set[int] = set()
    for inner in answer:
        for child in inner.children:
            if child.i < answer.start and child.dep_ in (
                "det",
                "compound",
                "amod",
                "poss",
                "nmod",
                "punct",
                "case",
                "predet",
            ):
                left_mods.update(t.i for t in child.subtree)
    if root.dep_ == "nummod":  # "the three qualifiers" -> "how many qualifiers", not "the how many"
        left_mods.update(c.i for c in root.head.children if c.dep_ in ("det", "poss") and c.i < answer.start)
    items: list = []
    placed = False
    for t in tokens:
        if _contains(t, answer) or t.i in left_mods:
            if not placed and _contains(t, answer):
                items.append(wh)
                placed = True
            continue
        items.append(t)
    return items


def _finalise(items: list, style: str) -> tuple[str, str] | None:
    question = finish_question(_join(items))
    if question is None:
        return None
    return question, style


def _cloze(sent, answer, label: str, rng: random.Random, optional_p: float, verb) -> tuple[str, str] | None:
    """In-situ fallback: the trimmed clause with the wh-phrase where the answer was."""
    head = verb if verb is not None and sent.start <= verb.i < sent.end else sent.root
    while (
        not any(c.dep_ in SUBJECT_DEPS for c in head.children)
        and head.head.i != head.i
        and sent.start <= head.head.i < sent.end
    ):
        head = head.head
    if (
        head.pos_ not in ("VERB", "AUX")
        or not any(c.dep_ in SUBJECT_DEPS for c in head.children)
        or not _is_finite(head)
    ):
        return None
    wh = _wh_for(label, answer, "subject" if answer.root.dep_ in SUBJECT_DEPS else "object", verb, rng)
    if wh is None:
        return None
    tokens = _pruned(head, answer, rng, optional_p)
    if head.dep_ == "relcl":
        rel = next((c for c in head.children if c.dep_ in SUBJECT_DEPS and c.lower_ in RELATIVE), None)
        if rel is not None:
            antecedent = _antecedent(head, answer)
            if not antecedent:
                return None
            tokens = [x for t in tokens for x in (antecedent if t.i == rel.i else [t])]
    previous = next((t for t in tokens if _tok(t) is not None and _tok(t).i == answer.start - 1), None)
    if label in ("GPE", "LOC", "FAC", "DATE", "TIME") and previous is not None and previous.dep_ == "prep":
        if label in ("DATE", "TIME") and previous.lower_ in WHEN_PREPS:
            wh = WHEN_PREPS[previous.lower_]
        elif label not in ("DATE", "TIME") and previous.lower_ in LOCATIVE_PREPS:
            wh = "where"
        if wh in ("when", "where", "since when", "until when", "by when"):
            tokens = [t for t in tokens if _tok(t) is None or _tok(t).i != previous.i]
    if wh == "by how much":
        wh = "how much"
    items = _replace(tokens, answer, wh)
    if items and items[0] == wh:
        return _finalise(items, "subject")
    return _finalise(_lower_start(items, sent), "cloze")
