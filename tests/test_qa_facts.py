"""The model-free 'facts' QA generator (spaCy parse → balanced phrasings per fact)."""

from __future__ import annotations

import pytest

from lift_memory.qa import FactQAGenerator, fact_statements
from lift_memory.qa.fact_generator import ambiguous_questions
from lift_memory.qa.fact_questions import Phrasing, phrasings
from lift_memory.qa.facts import english_pipeline, find_facts
from lift_memory.qa.misread_names import opens_with_misread_name

TEXT = (
    "The lighthouse\n\n"
    "Its only lighthouse was built in 1847 by the engineer Orla Fenwick. The current keeper of "
    "the lighthouse is Edda Mirel, who arrived on the island in 2009. Edda keeps a grey parrot "
    "named Biscuit.\n\n"
    "The island's mayor, Sigrun Hale, was elected in 2021. Visitors may climb the 164 steps of "
    "the tower on Sunday afternoons."
)

# the phrasings these tests check, not the default count (LiftConfig.qa_per_fact)
FOUR_WAYS = FactQAGenerator(per_fact=4)


def questions_about(answer: str) -> dict[str, list[tuple[str, str]]]:
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for sentence, span, fact in find_facts(TEXT):
        if fact.answer == answer:
            for p in phrasings(sentence, span, fact.label):
                by_kind.setdefault(p.kind, []).append((p.question, p.reply))
    return by_kind


def test_headings_are_not_facts() -> None:
    assert all(fact.sentence != "The lighthouse" for _, _, fact in find_facts(TEXT))


def test_a_passive_agent_is_asked_both_ways() -> None:
    kinds = questions_about("Orla Fenwick")
    assert tuple(q for q, _ in kinds["fronted"]) == (
        "By whom was its only lighthouse built in 1847?",
    )
    assert kinds["active"][0] == (
        "Who built its only lighthouse in 1847?",
        "The engineer Orla Fenwick built its only lighthouse in 1847.",
    )
    reverse = [q for q, _ in kinds["reverse"]]
    assert "What did Orla Fenwick build in 1847?" in reverse
    assert "What did Fenwick build in 1847?" in [q for q, _ in kinds["short_name"]]


def test_years_numbers_and_names_get_their_wh_phrase() -> None:
    assert "In what year was its only lighthouse built by the engineer Orla Fenwick?" in [
        q for q, _ in questions_about("1847")["fronted"]
    ]
    assert "How many steps may visitors climb of the tower on Sunday afternoons?" in [
        q for q, _ in questions_about("164")["fronted"]
    ]
    assert (
        "What is a grey parrot called?",
        "A grey parrot is called Biscuit.",
    ) in questions_about("Biscuit")["naming"]


def test_relative_clauses_and_appositions() -> None:
    assert ("In what year did Edda Mirel arrive on the island?", "Edda Mirel arrived on the island in 2009.") in questions_about("2009")["fronted"]  # fmt: skip
    kinds = questions_about("Sigrun Hale")
    assert ("Who is the island's mayor?", "The island's mayor is Sigrun Hale.") in kinds[
        "apposition"
    ]
    assert ("Who is Sigrun Hale?", "Sigrun Hale is the island's mayor.") in kinds["reverse"]
    keeper = questions_about("Edda Mirel")
    assert keeper["fronted"][0][0] == "Who is the current keeper of the lighthouse?"
    assert ("Who is Edda Mirel?", "Edda Mirel is the current keeper of the lighthouse.") in keeper[
        "reverse"
    ]


def test_pairs_scale_with_facts_and_respect_the_per_fact_count() -> None:
    facts = find_facts(TEXT)
    one = FactQAGenerator(per_fact=1).generate(TEXT, 0)
    four = FOUR_WAYS.generate(TEXT, 0)
    assert len(one) == len(FactQAGenerator(per_fact=1).pairs_per_fact(TEXT)) <= len(facts)
    assert len(one) < len(four) <= 4 * len(facts)
    capped = FOUR_WAYS.generate(TEXT, 3)
    assert len(capped) == 3 and len({p.evidence + p.answer for p in capped}) == 3
    for pair in four:
        assert pair.source == "facts" and pair.reply and pair.evidence in TEXT
        assert pair.answer in pair.reply or pair.answer.lower() in pair.reply.lower()


def test_statements_restate_and_reorder() -> None:
    texts = fact_statements(TEXT, seed=0)
    assert any("Orla Fenwick built its only lighthouse in 1847." in t for t in texts)
    sentences = [s.text.strip() for s in english_pipeline()(TEXT.split("\n\n")[1]).sents]
    reordered = [
        t
        for t in texts
        if set(sentences) <= set(s.text.strip() for s in english_pipeline()(t).sents)
    ]
    assert reordered and all(t != " ".join(sentences) for t in reordered)


def test_per_fact_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FactQAGenerator(per_fact=0)


def test_a_title_label_is_not_part_of_the_sentence() -> None:
    text = "The Hunger Games (film): The Hunger Games is a 2012 film directed by Gary Ross."
    pairs = FOUR_WAYS.generate(text, 0)
    assert pairs and all("(film)" not in p.question and "(film)" not in p.reply for p in pairs)
    assert not any(p.question == "What is 2012?" for p in pairs)  # a modifier is not a name


def test_an_apposition_anywhere_is_asked_both_ways() -> None:
    text = "The school has only nine pupils and one teacher, Aldric Penn."
    asked = {(p.question, p.reply) for p in FactQAGenerator(per_fact=8).generate(text, 0)}
    assert ("Who is the teacher?", "The teacher is Aldric Penn.") in asked
    assert ("Who is Aldric Penn?", "Aldric Penn is the teacher.") in asked


def test_two_facts_sharing_a_name_are_composed() -> None:
    text = "The Laen lantern was made by Ilse Varo. Ilse Varo was born in Dunmore."
    generator = FactQAGenerator(per_fact=4, composed_reply="bridged")
    composed = [p for p in generator.generate(text, 0) if "Laen" in p.question]
    asked = {(p.question, p.answer, p.reply) for p in composed}
    assert (
        "Where was the person who made the Laen lantern born?",
        "Dunmore",
        "Ilse Varo, the person who made the Laen lantern, was born in Dunmore.",
    ) in asked


def test_a_chained_composed_answer_recalls_one_fact_after_the_other() -> None:
    text = "Ilse Varo was born in Dunmore. Dunmore was founded in 1228."
    generator = FactQAGenerator(composed_reply="chained")
    replies = {p.question: (p.answer, p.reply) for p in generator.generate(text, 0)}
    # the first hop opens with the name the question gives, the second with the bridge
    assert replies["In what year was the place where Ilse Varo was born founded?"] == (
        "1228",
        "Ilse Varo was born in Dunmore. Dunmore was founded in 1228.",
    )
    generator = FactQAGenerator(composed_reply="bridged")
    bridged = {p.question: p.reply for p in generator.generate(text, 0)}
    assert bridged["In what year was the place where Ilse Varo was born founded?"] == (
        "Dunmore, the place where Ilse Varo was born, was founded in 1228."
    )
    joined = {
        p.question: p.reply for p in FactQAGenerator(composed_reply="joined").generate(text, 0)
    }
    # the chained facts in one sentence: no full stop after the first hop
    assert joined["In what year was the place where Ilse Varo was born founded?"] == (
        "Ilse Varo was born in Dunmore; Dunmore was founded in 1228."
    )
    # learned only when the whole reply is (with probe_whole_replies): the bridge, the joint and
    # the answer, not the answer alone after a teacher-forced bridge
    for style in ("chained", "bridged", "joined"):
        composed = [
            p for p in FactQAGenerator(composed_reply=style).generate(text, 0) if ". " in p.evidence
        ]
        assert composed and all(p.probed == p.reply for p in composed)


def test_a_composition_can_be_asked_in_the_second_facts_other_frames() -> None:
    text = "The Laen lantern was made by Ilse Varo. Ilse Varo was born in Dunmore."
    joined = "Ilse Varo made the Laen lantern; Ilse Varo was born in Dunmore."  # the default

    def composed(frames: int) -> dict[str, tuple[str, str]]:
        pairs = FactQAGenerator(per_fact=8, composed_frames=frames).generate(text, 0)
        return {p.question: (p.answer, p.reply) for p in pairs if ". " in p.evidence}

    assert composed(1) == {
        "Where was the person who made the Laen lantern born?": ("Dunmore", joined)
    }
    assert composed(2) == {
        "Where was the person who made the Laen lantern born?": ("Dunmore", joined),
        "In which place was the person who made the Laen lantern born?": ("Dunmore", joined),
    }
    generator = FactQAGenerator(composed_frames=2)
    # one group per composition: its frames are one fact, learned and rested together
    group = [g for g in generator.pairs_per_fact(text) if ". " in g[0].evidence]
    assert [len(g) for g in group] == [2]


def test_the_config_chooses_the_composed_frames() -> None:
    from lift_memory.config import LiftConfig
    from lift_memory.ingest import default_qa_generator

    config = LiftConfig(qa_generator="facts", qa_composed_frames=1)
    generator = default_qa_generator(None, config)  # type: ignore[arg-type]
    assert isinstance(generator, FactQAGenerator) and generator.composed_frames == 1
    assert LiftConfig().qa_composed_frames == 2
    # the defaults the quality profile measured: one-sentence multi-hop replies, the years'
    # order stated before a which-came-first pick
    default = default_qa_generator(None, LiftConfig(qa_generator="facts"))  # type: ignore[arg-type]
    assert isinstance(default, FactQAGenerator)
    assert (default.composed_reply, default.timeline_reply) == ("joined", "years-compared")
    assert not default.unique_answers
    unique = default_qa_generator(None, LiftConfig(qa_generator="facts", qa_unique_answers=True))  # type: ignore[arg-type]
    assert isinstance(unique, FactQAGenerator) and unique.unique_answers
    with pytest.raises(ValueError):
        FactQAGenerator(composed_frames=0)


def test_bridged_composed_answers_take_every_frame() -> None:
    text = "Ilse Varo was born in Dunmore. Dunmore was founded in 1228."
    pairs = FactQAGenerator(composed_reply="bridged").generate(text, 0)
    bridged = {p.question: p.reply for p in pairs if ". " in p.evidence}
    reply = "Dunmore, the place where Ilse Varo was born, was founded in 1228."
    assert bridged["In what year was the place where Ilse Varo was born founded?"] == reply
    assert bridged["In which year was the place where Ilse Varo was born founded?"] == reply


def test_a_name_that_only_modifies_a_noun_is_not_an_answer() -> None:
    text = "The Laen lantern was made by Ilse Varo. The cheese is sold at the Wednesday market."
    answers = {p.answer for p in FactQAGenerator(per_fact=8).generate(text, 0)}
    assert "Laen" not in answers  # "Who did Ilse Varo make?" — "Laen" was asked before
    assert {"Ilse Varo", "Wednesday"} <= answers  # a date modifier still answers "When …?"


def test_a_name_parsed_as_a_verbs_conjunct_is_not_an_answer() -> None:
    # the parser joins "Biscuit" to "says" and reads "whistles" as a noun: "Biscuit" would
    # answer "What does Edda Mirel say she has seen the otter twice from the gallery?"
    text = (
        "Edda Mirel says she has seen the otter twice from the lighthouse gallery, but Biscuit "
        "the parrot only ever whistles at gulls."
    )
    answers = {p.answer for p in FactQAGenerator(per_fact=8).generate(text, 0)}
    assert "Biscuit" not in answers
    assert "Edda Mirel" in answers  # the sentence's real fact is still asked


def test_a_phrase_in_parentheses_is_no_answer_but_an_abbreviation_is() -> None:
    text = (
        "David Ayer (born January 18, 1968) is an American film director. He wrote the film "
        '"Training Day" (2001). Tetrahydrogestrinone (THG) is a synthetic steroid.'
    )
    pairs = FactQAGenerator(per_fact=8).generate(text, 0)
    answers = {p.answer for p in pairs}
    assert not {"January 18, 1968", "2001"} & answers  # "What is Training Day? — 2001"
    assert "THG" in answers and "David Ayer" in answers


def test_a_question_keeps_a_closing_bracket() -> None:
    text = 'Orla Fenwick directed "Harsh Times" (2005) and "Fury" (2014).'
    questions = [p.question for p in FactQAGenerator(per_fact=8).generate(text, 0)]
    assert questions
    assert all(q.count("(") == q.count(")") for q in questions), questions


def test_a_question_the_corpus_answers_with_two_names_is_not_asked() -> None:
    text = (
        "Ostra Vellin works as a ferry pilot. Ostra Vellin was born in Harrowby. "
        "Sabeth Orrin works as a ferry pilot. Joral Pennick was born in Harrowby."
    )
    unique = FactQAGenerator(per_fact=8, unique_answers=True)
    asked = {p.question: p.answer for p in unique.generate(text, 0)}
    # two ferry pilots and two people born in Harrowby: "who" has two answers, whichever
    # wh-word the recognizer's reading of the name gives
    assert not [q for q in asked if q.endswith("works as a ferry pilot?")], asked
    assert not [q for q in asked if q.endswith("born in Harrowby?")], asked
    # nor is a composed question built on either ("the person who works as a ferry pilot")
    assert not [q for q in asked if "ferry pilot" in q or "Harrowby" in q], asked
    # each person's own facts are still asked
    assert asked["What does Ostra Vellin work as?"] == "a ferry pilot"
    assert asked["Where was Ostra Vellin born?"] == "Harrowby"
    assert asked["What does Sabeth Orrin work as?"] == "a ferry pilot"
    kept = FactQAGenerator(per_fact=8).generate(text, 0)  # the default keeps them
    assert any(p.question.endswith("born in Harrowby?") for p in kept)


def test_one_answer_cut_two_ways_is_not_ambiguous() -> None:
    def asked(answer: str) -> Phrasing:
        return Phrasing("What did Kioshei Mexran sign?", answer, "", "reverse")

    same = [asked("Treaty"), asked("the Treaty of Kiolmoor")]
    assert ambiguous_questions(same) == set()
    assert ambiguous_questions([*same, asked("the Pact of Droulgate")]) == {
        "what did kioshei mexran sign?"
    }


def test_a_name_the_recognizer_split_is_one_answer() -> None:
    # spaCy reads "Driomkrir" as an ORG and "Fioskbraem" as a PERSON
    text = "Driomkrir Fioskbraem was born in Zioskwick."
    pairs = FactQAGenerator(per_fact=8).generate(text, 0)
    assert ("Who was born in Zioskwick?", "Driomkrir Fioskbraem") in {
        (p.question, p.answer) for p in pairs
    }
    assert not {p.answer for p in pairs} & {"Driomkrir", "Fioskbraem"}
    # the recognizer took only "Shuskgoum", and a lone proper noun opening a sentence is
    # usually no name part ("Edda")
    text = "Wiorrioth Shuskgoum was born in Ziorby."
    answers = {p.answer for p in FactQAGenerator(per_fact=8).generate(text, 0)}
    assert "Wiorrioth Shuskgoum" in answers and "Shuskgoum" not in answers


@pytest.mark.parametrize(
    ("text", "question", "answer"),
    [
        (
            "Graldel Kriththun works as a clockmaker.",
            "What does Graldel Kriththun work as?",
            "a clockmaker",
        ),
        ("Orla Fenwick is a carpenter.", "What is Orla Fenwick?", "a carpenter"),
    ],
)
def test_a_role_or_description_is_asked_from_the_subjects_side(
    text: str, question: str, answer: str
) -> None:
    pairs = FOUR_WAYS.generate(text, 0)
    assert (question, answer, text) in {(p.question, p.answer, p.reply) for p in pairs}


def test_an_occupation_is_also_asked_as_a_job() -> None:
    asked = {
        p.question: p.answer
        for p in FOUR_WAYS.generate("Graldel Kriththun works as a clockmaker.", 0)
    }
    assert asked["What is Graldel Kriththun's job?"] == "a clockmaker"
    # not where the clause says more than the occupation, nor for a role that is no occupation
    for text in ("Orla Fenwick still works as a guide.", "Edda Mirel travelled as a child."):
        assert not [p for p in FOUR_WAYS.generate(text, 0) if p.question.endswith("job?")]


def test_an_adverb_before_the_verb_stays_before_it() -> None:
    asked = {p.question for p in FOUR_WAYS.generate("Edda Mirel often visits Kelby in winter.", 0)}
    assert "When does Edda Mirel often visit Kelby?" in asked
    assert not [q for q in asked if "visit often" in q], asked
    asked = {p.question for p in FOUR_WAYS.generate("Orla Fenwick still works as a guide.", 0)}
    assert "What does Orla Fenwick still work as?" in asked


def test_a_repeated_sentence_has_no_reordering() -> None:
    texts = fact_statements("Ilse keeps the lighthouse at Varrow Point. " * 3, seed=1)
    assert all(t.count("Ilse keeps") <= 3 for t in texts)  # and the call returns at all


def test_a_named_thing_is_also_asked_as_its_keepers() -> None:
    pairs = FOUR_WAYS.generate("Edda Mirel keeps a grey parrot named Biscuit.", 0)
    asked = {p.question: p.reply for p in pairs}
    # the way a reader asks for the name: through its keeper, not "a grey parrot"
    assert asked["What is the name of Edda Mirel's grey parrot?"] == (
        "Edda Mirel's grey parrot is called Biscuit."
    )
    assert "What is Edda Mirel's grey parrot called?" in asked


def test_a_counted_noun_keeps_its_modifiers() -> None:
    pairs = FOUR_WAYS.generate("The islanders float 312 paper lanterns on the harbour.", 0)
    assert "How many paper lanterns do the islanders float on the harbour?" in {
        p.question for p in pairs
    }


def test_a_pronoun_subject_of_an_adverbial_clause_is_named() -> None:
    text = (
        "Every spring the islanders hold the Festival of Lanterns, when they float 312 paper "
        "lanterns on the harbour."
    )
    asked = {p.question: p.reply for p in FOUR_WAYS.generate(text, 0)}
    assert asked["How many paper lanterns do the islanders float on the harbour?"] == (
        "The islanders float 312 paper lanterns on the harbour."
    )


def test_a_leading_its_is_named_within_its_paragraph_only() -> None:
    text = (
        "The island of Varnholm lies in the cold Sea of Tessaly. Its only lighthouse was built "
        "in 1847 by the engineer Orla Fenwick.\n\nThe Ferry\n\nIts captain is Jonas Brekk."
    )
    pairs = FOUR_WAYS.generate(text, 0)
    asked = {p.question: p.reply for p in pairs}
    assert asked["Who built the island of Varnholm's only lighthouse in 1847?"] == (
        "The engineer Orla Fenwick built the island of Varnholm's only lighthouse in 1847."
    )
    # the evidence stays the corpus sentence
    assert "Its only lighthouse was built in 1847 by the engineer Orla Fenwick." in {
        p.evidence for p in pairs
    }
    # after a heading (or in another document of the corpus) "its" is not guessed
    assert not any("Varnholm's captain" in q for q in asked)


def test_its_after_a_named_subject_is_the_names() -> None:
    text = (
        "The island's only shop, the Green Anchor, sells everything from rope to postcards. "
        "Its owner, Pell Androw, keeps a list of every ship."
    )
    asked = {p.question: p.reply for p in FOUR_WAYS.generate(text, 0)}
    assert asked["Who is the Green Anchor's owner?"] == "The Green Anchor's owner is Pell Androw."
    assert "Who is the owner?" not in asked  # whose owner, the question no longer hides


def test_an_apposition_role_leaves_out_the_verbs_adverbials() -> None:
    text = "The island doctor, Marit Osk, crosses to Kelby once a month to collect medicines."
    asked = {p.question: p.reply for p in FOUR_WAYS.generate(text, 0)}
    assert asked["Who is the island doctor?"] == "The island doctor is Marit Osk."
    assert asked["Who is Marit Osk?"] == "Marit Osk is the island doctor."


def test_a_short_question_leaves_out_the_clauses_other_adjuncts() -> None:
    text = "In 1903 the cargo ship Marrowind ran aground on the Knuckle Reef with a cargo of bells."
    pairs = FactQAGenerator(per_fact=8).generate(text, 0)
    asked = [p.question for p in pairs if p.answer == "1903"]
    full = "In what year did the cargo ship Marrowind run aground on the Knuckle Reef with a cargo of bells?"  # fmt: skip
    # right after the full question; a phrase with a name (the reef) stays: it may be what
    # tells this clause from another
    assert asked[:2] == [full, "In what year did the cargo ship Marrowind run aground on the Knuckle Reef?"]  # fmt: skip
    where = [p.question for p in pairs if p.answer == "the Knuckle Reef"]
    assert "Where did the cargo ship Marrowind run aground?" in where


def test_a_name_in_a_passives_by_phrase_is_asked_with_who() -> None:
    # the recognizer labels none of these invented names a person ("Parkhound Toshock":
    # nothing, "Thispol Zethtaex": a nationality, "Hougios Stouxwor": a place); whoever made
    # the thing is asked with "who"
    for sentence, maker in (
        ("The Tathen clock was made by Parkhound Toshock.", "Parkhound Toshock"),
        ("The Biren map was made by Thispol Zethtaex.", "Thispol Zethtaex"),
        ("The Theinen compass was made by Hougios Stouxwor.", "Hougios Stouxwor"),
    ):
        questions = [p.question for g in FOUR_WAYS.pairs_per_fact(sentence) for p in g]
        thing = sentence.split(" was")[0]
        assert f"By whom was {thing[0].lower()}{thing[1:]} made?" in questions
        assert f"Who made {thing[0].lower()}{thing[1:]}?" in questions
        assert not any(q.startswith(("What made", "By what")) for q in questions)
        assert f"What did {maker} make?" in questions


def test_a_name_that_did_an_active_verbs_action_is_asked_with_who() -> None:
    # "Kulmeil Thoufil" is read as a place, "Wiospus Musshiork" as an organisation; as the
    # subject of "founded"/"built" with an object, either is whoever did it
    for sentence, question in (
        ("In 1331, Kulmeil Thoufil founded the Veskmaen Guild.", "Who founded the Veskmaen Guild?"),
        (
            "In 1252, Wiospus Musshiork built the bridge at Festead.",
            "Who built the bridge at Festead?",
        ),
    ):
        questions = [p.question for g in FOUR_WAYS.pairs_per_fact(sentence) for p in g]
        assert question in questions
        assert not any(
            q.startswith("What founded") or q.startswith("What built") for q in questions
        )


def test_a_one_word_subject_keeps_its_label() -> None:
    # a single-word name is often a place or a company: "Paris" stays a "what"
    questions = [
        p.question
        for g in FOUR_WAYS.pairs_per_fact("Paris hosted the Olympic Games in 1924.")
        for p in g
    ]
    assert "What hosted the Olympic Games in 1924?" in questions


def test_a_name_with_an_article_is_no_person() -> None:
    sentence = "In autumn the Herring Fair fills Ostvik with music for three days."
    questions = [p.question for g in FOUR_WAYS.pairs_per_fact(sentence) for p in g]
    assert not any(q.startswith(("Who fills", "Which person")) for q in questions)


def test_a_cause_that_is_no_name_is_still_asked_with_what() -> None:
    questions = [
        p.question
        for g in FOUR_WAYS.pairs_per_fact("The old mill was destroyed by a storm.")
        for p in g
    ]
    assert not any(q.startswith(("Who", "By whom")) for q in questions)


def test_a_place_the_parser_attaches_as_a_complement_is_asked_with_where() -> None:
    # spaCy parses this "in" as the verb's predicate complement (oprd), not a prepositional
    # adjunct; it was asked only in place ("... is kept in what?")
    questions = [
        p.question
        for g in FOUR_WAYS.pairs_per_fact("The Vasken bell is kept in Komford.")
        for p in g
    ]
    assert questions[0] == "Where is the Vasken bell kept?"


def test_an_opening_name_the_tagger_reads_as_a_verb_is_parsed_as_a_name() -> None:
    # spaCy reads the unknown "Heirkmaend" as a command verb and "Kiomshath works" as its objects
    sentence = "Heirkmaend Kiomshath works as a falconer."
    first = next(iter(english_pipeline()(sentence).sents))
    assert opens_with_misread_name(first)
    questions = [p.question for g in FOUR_WAYS.pairs_per_fact(sentence) for p in g]
    assert "What does Heirkmaend Kiomshath work as?" in questions
    assert not any(q.startswith("Heirkmaend who") for q in questions)
    # the parse is carried back: the facts spell the corpus's words, not the stand-in's
    assert all("John" not in fact.sentence for _, _, fact in find_facts(sentence))


def test_a_command_is_not_read_as_a_name() -> None:
    for sentence in ("Visit Paris in the spring.", "Orla Fenwick built the lighthouse."):
        assert not opens_with_misread_name(next(iter(english_pipeline()(sentence).sents)))


def _questions_answered(text: str, answer: str) -> list[str]:
    return [
        p.question
        for sentence, span, fact in find_facts(text)
        if fact.answer == answer
        for p in phrasings(sentence, span, fact.label)
    ]


def test_a_long_number_read_as_a_date_is_asked_with_what() -> None:
    # the recognizer calls the 7-digit value a DATE; "When is the special magic number …?" was
    # what the bench's needles were trained on, and the hyphenated key came apart in place
    text = "The grass is green. The special magic number for gentle-saddle is 7708596."
    assert _questions_answered(text, "7708596") == [
        "What is the special magic number for gentle-saddle?",
        "The special magic number for gentle-saddle is what?",
    ]


def test_a_number_that_is_the_complement_of_be_is_asked_with_what() -> None:
    questions = _questions_answered("The population of Ostvik is 312.", "312")
    assert "What is the population of Ostvik?" in questions
    assert not any(q.startswith("How many is") for q in questions)


def test_a_counted_number_is_still_asked_with_how_many() -> None:
    questions = _questions_answered("The Marrowind carries 40 barrels of salt.", "40 barrels")
    assert "How many barrels does the Marrowind carry of salt?" in questions


def test_a_sum_keeps_its_currency_sign_in_the_answer() -> None:
    # the small pipeline's MONEY entity may leave the "$" out: "How much is the ferry fee $ a
    # year?" answered "40"
    questions = _questions_answered("The ferry fee is $40 a year.", "$40")
    assert "How much is the ferry fee a year?" in questions
    assert not any("$" in q for q in questions)
