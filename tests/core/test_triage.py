"""The red-flag screen, table-driven from content/triage.yaml.

Every question and every rule in the content file gets its own cases, so a question
added tomorrow is tested by the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import product
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.emergency import numbers_to_call
from bot.core.triage import (
    Answer,
    Profile,
    applies_to,
    evaluate,
    load_bank,
    next_question,
    plain_reason,
    questions_for,
    unsure_level,
)
from content.loader import CONTENT_DIR, ContentError, load_file
from content.schema.common import AgeBand, Level, Region
from content.schema.texts import t, texts
from content.schema.triage import (
    QUESTION_MAX_CHARS,
    Question,
    RedFlag,
    Rule,
    TriageBank,
    age_band_of,
    is_question_term,
    region_of,
)

BANK = load_bank()
ADULT = AgeBand.FROM_16_TO_49
YES, NO, UNSURE = Answer.YES, Answer.NO, Answer.UNSURE

# The documented meaning of "not sure", by the level a plain "yes" would give.
UNSURE_GIVES = {
    Level.EMERGENCY: Level.URGENT,
    Level.URGENT: Level.URGENT,
    Level.SEE_GP: Level.SEE_GP,
    Level.CHECK_FIRST: Level.CHECK_FIRST,
}
ASKED_FIRST = {
    RedFlag.CAUDA_EQUINA,
    RedFlag.ANEURYSM,
    RedFlag.NECK_ARTERY,
    RedFlag.MAJOR_TRAUMA,
    RedFlag.NECK_INJURY,
    RedFlag.MENINGITIS,
}


def profile_for(question: Question) -> Profile:
    """Someone this question is asked to, as plain as possible: an adult with low back pain
    if allowed (neck and upper-back pain count in the cancer rule)."""
    bands = question.age_bands or (ADULT,)
    region = Region.LOWER_BACK if Region.LOWER_BACK in question.regions else question.regions[0]
    return Profile(region, ADULT if ADULT in bands else bands[0])


def walk(profile: Profile, answer_for: Callable[[Question], Answer]) -> list[Question]:
    """Run the screen as the flow does, answering each question with ``answer_for``."""
    answers: dict[str, Answer] = {}
    asked: list[Question] = []
    while (question := next_question(BANK, profile, answers)) is not None:
        assert question.id not in answers, f"{question.id} asked twice"
        asked.append(question)
        answers[question.id] = answer_for(question)
    return asked


def answers_of(asked: list[Question], answer_for: Callable[[Question], Answer]) -> dict:
    return {question.id: answer_for(question) for question in asked}


def all_no(question: Question) -> Answer:
    return NO


EVERY_PROFILE = [Profile(region, band) for region in Region for band in AgeBand]
QUESTIONS = {question.id: question for question in BANK.questions}
WITH_LEVEL = [question for question in BANK.questions if question.level is not None]


# ---------------------------------------------------------------- single answers


@pytest.mark.parametrize("question", BANK.questions, ids=lambda question: question.id)
def test_a_yes_alone_gives_the_questions_level(question: Question) -> None:
    verdict = evaluate(BANK, profile_for(question), {question.id: YES})
    assert verdict.level is (question.level or Level.CLEAR)
    if question.level is not None:
        top = verdict.findings[0]
        assert (top.condition, top.question_ids, top.unsure) == (
            question.condition,
            (question.id,),
            False,
        )
        assert top.source == BANK.sources[question.source]


@pytest.mark.parametrize("question", BANK.questions, ids=lambda question: question.id)
def test_not_sure_alone_gives_the_documented_level(question: Question) -> None:
    verdict = evaluate(BANK, profile_for(question), {question.id: UNSURE})
    if question.level is None:
        assert verdict.level is Level.CLEAR
        return
    assert verdict.level is UNSURE_GIVES[question.level]
    assert verdict.findings[0].unsure
    assert verdict.unsure_question_ids == (question.id,)


@pytest.mark.parametrize("question", BANK.questions, ids=lambda question: question.id)
def test_a_no_alone_changes_nothing(question: Question) -> None:
    assert evaluate(BANK, profile_for(question), {question.id: NO}).level is Level.CLEAR


@pytest.mark.parametrize(
    "question",
    [question for question in WITH_LEVEL if question.level is Level.EMERGENCY],
    ids=lambda question: question.id,
)
def test_an_emergency_yes_stops_the_questions_at_once(question: Question) -> None:
    # Reach the question the way a person would: "no" to everything, "yes" to its parents.
    def answer(asked: Question) -> Answer:
        return YES if asked.id in question.ask_if or asked.id == question.id else NO

    asked = walk(profile_for(question), answer)
    assert asked[-1].id == question.id, "the screen went on after an emergency answer"
    answers = answers_of(asked, answer)
    assert evaluate(BANK, profile_for(question), answers).level is Level.EMERGENCY
    assert next_question(BANK, profile_for(question), answers) is None


@pytest.mark.parametrize(
    "question",
    [question for question in BANK.questions if question.sets_condition],
    ids=lambda question: question.id,
)
@pytest.mark.parametrize("answer", [YES, UNSURE])
def test_answers_that_change_the_routine_are_passed_on(question: Question, answer: Answer) -> None:
    verdict = evaluate(BANK, profile_for(question), {question.id: answer})
    assert question.sets_condition in verdict.conditions
    assert not evaluate(BANK, profile_for(question), {question.id: NO}).conditions


# ---------------------------------------------------------------- rules


def _person_for(rule: Rule, terms: list[str]) -> Profile:
    """Someone to whom every question among ``terms`` is asked, with the ages/regions named."""
    band = next((b for term in terms if (b := age_band_of(term))), ADULT)
    regions = set(Region)
    for term in terms:
        if (region := region_of(term)) is not None:
            regions &= {region}
        elif is_question_term(term):
            regions &= set(QUESTIONS[term].regions)
    assert regions, f"rule {rule.id}: no one is asked all of {terms}"
    profile = Profile(sorted(regions)[0], band)
    for term in filter(is_question_term, terms):
        assert applies_to(QUESTIONS[term], profile), f"rule {rule.id}: {term} is never asked"
    return profile


def _firing_terms(rule: Rule) -> list[str]:
    """The fewest terms that make the rule hold."""
    terms = list(rule.all_of)
    if rule.any_of:
        terms.append(rule.any_of[0])
    if rule.at_least:
        terms += rule.at_least.of[: rule.at_least.count]
    return terms


def _answers(terms: list[str], answer: Answer = YES) -> dict[str, Answer]:
    return {term: answer for term in terms if is_question_term(term)}


def _rule_findings(rule: Rule, profile: Profile, answers: Mapping[str, Answer]) -> list:
    verdict = evaluate(BANK, profile, answers)
    return [finding for finding in verdict.findings if finding.rule_id == rule.id]


def _another(profile: Profile, term: str) -> Profile:
    """The same person with the age band or region that ``term`` names changed."""
    if (band := age_band_of(term)) is not None:
        return Profile(profile.region, ADULT if band is not ADULT else AgeBand.FROM_50_TO_64)
    other = Region.NECK if region_of(term) is Region.LOWER_BACK else Region.LOWER_BACK
    return Profile(other, profile.age_band)


@pytest.mark.parametrize("rule", BANK.rules, ids=lambda rule: rule.id)
def test_a_rule_holds_when_its_answers_combine(rule: Rule) -> None:
    terms = _firing_terms(rule)
    profile = _person_for(rule, terms)
    [finding] = _rule_findings(rule, profile, _answers(terms))
    assert (finding.level, finding.condition, finding.unsure) == (rule.level, rule.condition, False)
    assert finding.source == BANK.sources[rule.source]
    assert evaluate(BANK, profile, _answers(terms)).level.severity >= rule.level.severity


@pytest.mark.parametrize("rule", BANK.rules, ids=lambda rule: rule.id)
def test_a_rule_does_not_hold_with_one_part_missing(rule: Rule) -> None:
    terms = _firing_terms(rule)
    profile = _person_for(rule, terms)
    required = [*rule.all_of, *rule.any_of[:1], *(rule.at_least.of[:1] if rule.at_least else ())]
    for missing in required:
        if is_question_term(missing):
            answers = {**_answers(terms), missing: NO}
            assert not _rule_findings(rule, profile, answers), f"held without {missing}"
        else:
            assert not _rule_findings(rule, _another(profile, missing), _answers(terms))


def _rules_with_answers() -> list[Rule]:
    """Rules that rest on at least one answer (an age-and-region-only rule has no "not sure")."""
    return [r for r in BANK.rules if any(is_question_term(term) for term in _firing_terms(r))]


@pytest.mark.parametrize("rule", _rules_with_answers(), ids=lambda rule: rule.id)
def test_a_rule_resting_on_not_sure_says_so_and_is_capped(rule: Rule) -> None:
    terms = _firing_terms(rule)
    questions = [term for term in terms if is_question_term(term)]
    profile = _person_for(rule, terms)
    [finding] = _rule_findings(rule, profile, {**_answers(terms), questions[0]: UNSURE})
    assert finding.unsure
    assert finding.level is UNSURE_GIVES[rule.level]


def test_fragility_needs_the_minor_fall_and_a_risk() -> None:
    adult, older = Profile(Region.LOWER_BACK, ADULT), Profile(Region.LOWER_BACK, AgeBand.FROM_75)
    fall = {"minor_trauma": YES}
    assert evaluate(BANK, adult, fall).level is Level.CLEAR
    assert evaluate(BANK, older, fall).level is Level.URGENT
    assert evaluate(BANK, adult, {**fall, "steroid_tablets": YES}).level is Level.URGENT
    fragile = {**fall, "before_exercise": YES, "osteoporosis": YES}
    assert evaluate(BANK, adult, fragile).level is Level.URGENT


def test_a_neck_injury_with_fragile_bones_is_urgent_and_at_65_an_emergency() -> None:
    adult, older = Profile(Region.NECK, ADULT), Profile(Region.NECK, AgeBand.FROM_65_TO_74)
    injury = {"neck_injury": YES}
    assert evaluate(BANK, adult, injury).level is Level.SEE_GP
    assert evaluate(BANK, adult, {**injury, "steroid_tablets": YES}).level is Level.URGENT
    assert evaluate(BANK, older, injury).level is Level.EMERGENCY
    # The steroid question is asked after a neck injury, though it sits with the small fall.
    asked = walk(adult, lambda q: YES if q.id == "neck_injury" else NO)
    assert "steroid_tablets" in [q.id for q in asked]


def test_four_of_the_five_inflammatory_features_are_needed() -> None:
    person = Profile(Region.LOWER_BACK, ADULT)
    features = [term for rule in BANK.rules if rule.at_least for term in rule.at_least.of]
    three = dict.fromkeys(features[:3], YES)
    four = dict.fromkeys(features[:4], YES)
    assert evaluate(BANK, person, three).level is Level.CLEAR
    assert evaluate(BANK, person, four).level is Level.SEE_GP


def test_cancer_history_with_weakness_is_an_emergency() -> None:
    person = Profile(Region.LOWER_BACK_LEG, AgeBand.FROM_50_TO_64)
    assert evaluate(BANK, person, {"cancer_history": YES}).level is Level.SEE_GP
    assert evaluate(BANK, person, {"cancer_history": YES, "new_pain": YES}).level is Level.URGENT
    weak = {"cancer_history": YES, "leg_nerve_signs": YES}
    assert evaluate(BANK, person, weak).level is Level.EMERGENCY


def test_children_are_sent_to_a_doctor() -> None:
    child = Profile(Region.LOWER_BACK, AgeBand.UNDER_16)
    answers = answers_of(walk(child, all_no), all_no)
    verdict = evaluate(BANK, child, answers)
    assert verdict.level is Level.SEE_GP
    assert verdict.findings[0].condition is RedFlag.CHILD


# ---------------------------------------------------------------- the flow


@pytest.mark.parametrize("profile", EVERY_PROFILE, ids=str)
def test_all_no_answers_ask_only_what_applies_and_end_clear(profile: Profile) -> None:
    asked = walk(profile, all_no)
    assert asked, "no questions asked"
    for question in asked:
        assert applies_to(question, profile)
        assert not question.ask_if, f"follow-up {question.id} asked without a yes"
    verdict = evaluate(BANK, profile, answers_of(asked, all_no))
    expected = Level.SEE_GP if profile.age_band is AgeBand.UNDER_16 else Level.CLEAR
    assert verdict.level is expected


@pytest.mark.parametrize("region", list(Region))
def test_neck_questions_are_never_asked_about_a_back_and_back_ones_never_about_a_neck(
    region: Region,
) -> None:
    asked_ids = {question.id for question in walk(Profile(region, ADULT), lambda q: UNSURE)}
    neck_only = {q.id for q in BANK.questions if set(q.regions) == {Region.NECK}}
    back_only = {q.id for q in BANK.questions if Region.NECK not in q.regions}
    assert neck_only and back_only
    if region is Region.NECK:
        assert not asked_ids & back_only
        assert neck_only & asked_ids
    else:
        assert not asked_ids & neck_only
        assert back_only & asked_ids


def _earlier_siblings(question: Question) -> list[str]:
    """Follow-ups opened by the same question and asked before this one (e.g. ASAS features)."""
    before = BANK.questions[: BANK.questions.index(question)]
    return [q.id for q in before if q.ask_if and set(q.ask_if) & set(question.ask_if)]


def _answering(chosen: Mapping[str, Answer]) -> Callable[[Question], Answer]:
    """Answer as ``chosen`` says, and "no" to everything else."""
    return lambda question: chosen.get(question.id, NO)


FOLLOW_UPS = [(q, parent) for q in BANK.questions for parent in q.ask_if]


@pytest.mark.parametrize(
    ("question", "parent"), FOLLOW_UPS, ids=[f"{q.id}-after-{p}" for q, p in FOLLOW_UPS]
)
@pytest.mark.parametrize("parent_answer", [YES, UNSURE])
def test_a_follow_up_is_asked_only_after_a_yes_or_not_sure(
    question: Question, parent: str, parent_answer: Answer
) -> None:
    regions = [r for r in question.regions if r in QUESTIONS[parent].regions]
    profile = Profile(Region.LOWER_BACK if Region.LOWER_BACK in regions else regions[0], ADULT)
    assert question not in walk(profile, all_no)
    # The parent (and its own parents) positive, everything else "no" except the follow-ups
    # asked before this one, whose answers are tried every way.
    opened = {parent: parent_answer}
    while ancestors := QUESTIONS[next(iter(opened))].ask_if:
        opened = {ancestors[0]: YES, **opened}
    siblings = _earlier_siblings(question)
    for sibling_answers in product([YES, NO, UNSURE], repeat=len(siblings)):
        chosen = {**opened, **dict(zip(siblings, sibling_answers, strict=True))}
        asked = walk(profile, _answering(chosen))
        if question in asked:
            return
    # Never asked: only right when even a "yes" to it could not change the advice.
    answers = answers_of(asked, _answering(chosen))
    assert question.sets_condition is None
    before = evaluate(BANK, profile, answers).level
    assert evaluate(BANK, profile, {**answers, question.id: YES}).level is before
    assert parent_answer is UNSURE, f"{question.id} skipped after a firm yes to {parent}"


@pytest.mark.parametrize("region", list(Region))
def test_the_most_dangerous_questions_come_first(region: Region) -> None:
    first = walk(Profile(region, ADULT), all_no)[0]
    assert first.condition in {
        RedFlag.CAUDA_EQUINA,
        RedFlag.ANEURYSM,
        RedFlag.NECK_ARTERY,
        RedFlag.MAJOR_TRAUMA,
    }


def test_asking_order_is_dangerous_first_and_before_exercise_last() -> None:
    order = [question.condition for question in BANK.questions]
    last_dangerous = max(i for i, condition in enumerate(order) if condition in ASKED_FIRST)
    first_other = min(i for i, condition in enumerate(order) if condition not in ASKED_FIRST)
    assert last_dangerous < first_other
    levels = [question.level for question in BANK.questions]
    first_check = levels.index(Level.CHECK_FIRST)
    assert all(level in (Level.CHECK_FIRST, None) for level in levels[first_check:])
    assert all(q.condition is RedFlag.BEFORE_EXERCISE for q in BANK.questions[first_check:])


def test_questions_for_follows_the_asking_order() -> None:
    for profile in EVERY_PROFILE:
        ids = [question.id for question in questions_for(BANK, profile)]
        assert ids == [q.id for q in BANK.questions if q.id in ids]


@pytest.mark.parametrize("question", BANK.questions, ids=lambda question: question.id)
def test_every_question_is_one_yes_no_question_on_one_screen(question: Question) -> None:
    # One question line, then (for a checklist) one bullet per sign, answered once.
    first, *signs = question.text.splitlines()
    assert first.endswith("?")
    assert signs == [] or "any of these" in first or "either of these" in first
    assert all(line.startswith("• ") and not line.endswith((".", "?")) for line in signs)
    assert len(question.text) <= QUESTION_MAX_CHARS
    assert not set("<>&") & set(question.text), "Telegram HTML: escape <, > and &"
    assert question.topic and not question.topic.endswith((".", "?"))


# ---------------------------------------------------------------- short enough for a phone

ALL_NO_BUDGET, NO_YES_BUDGET = 15, 20
# How many questions someone answering "no" to everything sees. Under 16 the advice is a GP
# visit anyway, so the questions that could only say "see a GP" are skipped.
ALL_NO_LENGTH = {
    Region.NECK: {AgeBand.UNDER_16: 10, **dict.fromkeys(list(AgeBand)[1:], 11)},
    **{
        region: {AgeBand.UNDER_16: 9, **dict.fromkeys(list(AgeBand)[1:], 11)}
        for region in (Region.UPPER_BACK, Region.LOWER_BACK, Region.LOWER_BACK_LEG)
    },
}


@pytest.mark.parametrize("profile", EVERY_PROFILE, ids=str)
def test_the_all_no_check_is_short(profile: Profile) -> None:
    asked = walk(profile, all_no)
    assert len(asked) == ALL_NO_LENGTH[profile.region][profile.age_band]
    assert len(asked) <= ALL_NO_BUDGET


@pytest.mark.parametrize("profile", EVERY_PROFILE, ids=str)
def test_not_sure_to_everything_stays_within_the_budget(profile: Profile) -> None:
    asked = walk(profile, lambda q: UNSURE)
    assert len(asked) <= NO_YES_BUDGET, [q.id for q in asked]
    # The routine still learns every condition that applies to this person.
    settable = {q.sets_condition for q in questions_for(BANK, profile) if q.sets_condition}
    assert evaluate(BANK, profile, answers_of(asked, lambda q: UNSURE)).conditions == settable


# Every condition of the clinical brief, section 3, by where it hurts: each is asked about
# on the all-"no" path, by a question of its own or (fragility after a neck injury) a rule.
SCREENED = {
    "back": {
        RedFlag.CAUDA_EQUINA,
        RedFlag.ANEURYSM,
        RedFlag.MAJOR_TRAUMA,
        RedFlag.INFECTION,
        RedFlag.PROGRESSIVE_DEFICIT,
        RedFlag.CANCER,
        RedFlag.FRAGILITY_FRACTURE,
        RedFlag.INFLAMMATORY,
        RedFlag.BEFORE_EXERCISE,
    },
    "neck": {
        RedFlag.NECK_ARTERY,
        RedFlag.MAJOR_TRAUMA,
        RedFlag.NECK_INJURY,
        RedFlag.MENINGITIS,
        RedFlag.INFECTION,
        RedFlag.PROGRESSIVE_DEFICIT,
        RedFlag.MYELOPATHY,
        RedFlag.CANCER,
        RedFlag.FRAGILITY_FRACTURE,
        RedFlag.BEFORE_EXERCISE,
    },
}


@pytest.mark.parametrize(
    "profile", [Profile(r, b) for r in Region for b in list(AgeBand)[1:]], ids=str
)
def test_every_condition_of_the_brief_is_still_screened(profile: Profile) -> None:
    asked = walk(profile, all_no)
    asked_ids = {q.id for q in asked}
    covered = {q.condition for q in asked}
    covered |= {r.condition for r in BANK.rules if set(r.all_of) & asked_ids}
    expected = SCREENED["neck" if profile.region.is_neck else "back"]
    assert expected <= covered, expected - covered


@pytest.mark.parametrize("flag", [RedFlag.CAUDA_EQUINA, RedFlag.NECK_ARTERY, RedFlag.ANEURYSM])
def test_a_checklist_groups_the_signs_of_one_condition(flag: RedFlag) -> None:
    [question] = [q for q in BANK.questions if q.condition is flag]
    assert len(question.text.splitlines()) >= 4, "one question listing the signs"


# ---------------------------------------------------------------- skipping what can't matter


def _full_walk(profile: Profile, answer_for: Callable[[Question], Answer]) -> dict:
    """The check without skipping: every due question in order, stopping only at EMERGENCY."""
    answers: dict[str, Answer] = {}
    while evaluate(BANK, profile, answers).level is not Level.EMERGENCY:
        due = [
            q
            for q in questions_for(BANK, profile)
            if q.id not in answers
            and (not q.ask_if or any(answers.get(p) in (YES, UNSURE) for p in q.ask_if))
        ]
        if not due:
            break
        answers[due[0].id] = answer_for(due[0])
    return answers


@settings(max_examples=300, deadline=None)
@given(
    profile=st.sampled_from(EVERY_PROFILE),
    chosen=st.fixed_dictionaries({q.id: st.sampled_from(list(Answer)) for q in BANK.questions}),
)
def test_skipping_never_changes_the_advice_or_the_routine(
    profile: Profile, chosen: dict[str, Answer]
) -> None:
    short = answers_of(walk(profile, lambda q: chosen[q.id]), lambda q: chosen[q.id])
    full = _full_walk(profile, lambda q: chosen[q.id])
    assert set(short) <= set(full)
    short_verdict, full_verdict = evaluate(BANK, profile, short), evaluate(BANK, profile, full)
    assert short_verdict.level is full_verdict.level
    assert short_verdict.conditions == full_verdict.conditions


def test_the_inflammatory_questions_stop_once_four_of_five_is_out_of_reach() -> None:
    person = Profile(Region.LOWER_BACK, ADULT)
    features = [term for rule in BANK.rules if rule.at_least for term in rule.at_least.of]
    asked = walk(person, lambda q: YES if q.id == "pain_over_3_months" else NO)
    assert [q.id for q in asked if q.id in features] == features[:2]
    mixed = dict(zip(features, [YES, NO, YES, YES], strict=False))
    asked = walk(person, lambda q: YES if q.id == "pain_over_3_months" else mixed.get(q.id, NO))
    assert features[-1] in [q.id for q in asked], "still reachable: 3 yes, 1 no, 1 to go"


def test_once_sent_to_a_doctor_today_only_what_could_make_it_more_urgent_is_asked() -> None:
    person = Profile(Region.LOWER_BACK, ADULT)
    asked = walk(person, lambda q: UNSURE if q.id == "cauda_equina_signs" else NO)
    ids = [q.id for q in asked]
    # Still asked: emergencies, and the questions that adapt the routine.
    assert {"aneurysm_signs", "major_trauma", "leg_nerve_signs", "before_exercise"} <= set(ids)
    # Skipped: questions whose worst answer would only say "see a GP".
    assert "pain_over_3_months" not in ids and "cancer_signs" not in ids
    before_exercise = {q.id for q in BANK.questions if q.condition is RedFlag.BEFORE_EXERCISE}
    with_conditions = walk(
        person, lambda q: UNSURE if q.id in {"cauda_equina_signs", *before_exercise} else NO
    )
    assert {q.sets_condition for q in with_conditions if q.sets_condition} == {
        q.sets_condition for q in questions_for(BANK, person) if q.sets_condition
    }


def test_not_sure_in_a_rule_caps_what_the_rule_can_still_reach() -> None:
    # After "not sure" to the nerve signs, a cancer history could give at most URGENT,
    # which the person already has: it is not asked, and the advice is the same.
    person = Profile(Region.NECK, ADULT)
    unsure_nerves = {"arm_nerve_signs", "myelopathy_signs", "neck_change_fast"}
    asked = walk(person, lambda q: UNSURE if q.id in unsure_nerves else NO)
    assert "cancer_history" not in [q.id for q in asked]
    assert unsure_level(Level.EMERGENCY) is Level.URGENT


# ---------------------------------------------------------------- advice


def _reasons(profile: Profile, answers: Mapping[str, Answer]) -> list[str]:
    verdict = evaluate(BANK, profile, answers)
    return [plain_reason(finding) for finding in verdict.findings if finding.level is verdict.level]


def test_emergency_outcome_says_what_to_do_now_and_why_in_its_first_message() -> None:
    first = t("triage.outcome_emergency", numbers=numbers_to_call(None))
    for words in ("999", "112", "911", "emergency department", "now", "within hours"):
        assert words in first
    assert first.index("999") < first.index("within hours"), "the action comes before the why"


@pytest.mark.parametrize(
    ("level", "action"),
    [
        (Level.URGENT, "today or tomorrow"),
        (Level.SEE_GP, "GP"),
        (Level.CHECK_FIRST, "check with your doctor before you start"),
        (Level.CLEAR, "let's begin gently"),
    ],
)
def test_each_outcome_opens_with_its_action(level: Level, action: str) -> None:
    assert action in texts()[f"triage.outcome_{level.value.lower()}"]


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("Europe/London", "999"),
        ("Europe/Berlin", "112"),
        ("America/Chicago", "911"),
        ("Australia/Sydney", "000"),
        ("Pacific/Auckland", "111"),
        ("UTC+05:30", "999 (UK), 112 (Europe) or 911"),  # no place: the usual list
    ],
)
def test_the_emergency_advice_gives_the_persons_own_number_first(zone: str, first: str) -> None:
    advice = t("triage.outcome_emergency", numbers=numbers_to_call(zone))
    assert advice.index(first) == advice.index("call ") + len("call ")


def test_a_reason_explains_the_sign_in_plain_words() -> None:
    [reason] = _reasons(Profile(Region.LOWER_BACK, ADULT), {"cauda_equina_signs": YES})
    assert reason == texts()["triage.why_cauda_equina"]
    [own] = _reasons(Profile(Region.LOWER_BACK, ADULT), {"cancer_history": YES})
    assert own == QUESTIONS["cancer_history"].why


@pytest.mark.parametrize("profile", EVERY_PROFILE[::3], ids=str)
def test_every_finding_has_a_reason_to_show(profile: Profile) -> None:
    verdict = evaluate(BANK, profile, answers_of(walk(profile, lambda q: YES), lambda q: YES))
    for finding in verdict.findings:
        assert plain_reason(finding).strip()


def test_not_sure_about_an_emergency_sign_asks_for_a_check_today_naming_it() -> None:
    [reason] = _reasons(Profile(Region.NECK, ADULT), {"neck_artery_signs": UNSURE})
    assert "weren't sure" in reason and QUESTIONS["neck_artery_signs"].topic in reason
    assert "today" in reason


def test_not_sure_in_a_rule_names_only_what_was_unsure() -> None:
    answers = {"cancer_history": YES, "new_pain": UNSURE}
    [reason] = _reasons(Profile(Region.LOWER_BACK, ADULT), answers)
    assert QUESTIONS["new_pain"].topic in reason
    assert QUESTIONS["cancer_history"].topic not in reason


def test_the_safety_net_says_when_to_stop_and_when_to_see_a_gp() -> None:
    net = texts()["triage.safety_net"]
    for words in ("worse", "new pain", "spreads", "2 weeks", "GP"):
        assert words in net


def test_a_blocked_outcome_says_hold_off_and_how_to_escalate() -> None:
    blocked = t("triage.no_stretches_blocked", numbers=numbers_to_call(None))
    assert "hold off" in blocked and "999" in blocked


def test_no_text_says_anything_serious_has_been_ruled_out() -> None:
    shown = [text for key, text in texts().items() if key.startswith("triage.")]
    shown += [question.text for question in BANK.questions]
    shown += [question.why for question in BANK.questions if question.why]
    shown += [rule.why for rule in BANK.rules if rule.why]
    for text in shown:
        lowered = text.lower()
        assert "ruled out" not in lowered and "nothing serious" not in lowered, text


def test_every_label_and_reason_the_flow_needs_has_a_text() -> None:
    needed = [f"triage.why_{flag.value}" for flag in RedFlag]
    needed += [f"triage.region_{region.value}" for region in Region]
    needed += [f"triage.age_{band.value}" for band in AgeBand]
    needed += [f"triage.outcome_{level.value.lower()}" for level in Level]
    needed += [f"triage.answer_{answer.value}" for answer in Answer]
    assert not [key for key in needed if key not in texts()]


# ---------------------------------------------------------------- broken content


def _write_broken(tmp_path: Path, edit: Callable[[dict], None]) -> Path:
    data = yaml.safe_load((CONTENT_DIR / "triage.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "triage.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["rules"][0]["all_of"].append("no_such_one"), ["rules", "no_such_one"]),
        (lambda d: d["rules"][0].update(any_of=["age:teen"]), ["rules", "age:teen"]),
        (lambda d: d["rules"][0].update(source="nobody_2099"), ["rules", "nobody_2099"]),
        (lambda d: d["questions"][1].update(ask_if=["no_such_question"]), ["questions", "ask_if"]),
        (lambda d: d["questions"][0].update(level="SOMEDAY"), ["questions.0.level"]),
        (lambda d: d["questions"][0].update(text="Any? " + "• x\n" * 120), ["questions.0.text"]),
    ],
    ids=[
        "unknown question",
        "unknown age",
        "unknown source",
        "unknown follow-up",
        "bad level",
        "too long for a screen",
    ],
)
def test_broken_triage_content_fails_naming_file_and_field(
    tmp_path: Path, edit: Callable[[dict], None], named: list[str]
) -> None:
    folder = _write_broken(tmp_path, edit)
    with pytest.raises(ContentError) as error:
        load_file(TriageBank, "triage.yaml", folder)
    message = str(error.value)
    assert "triage.yaml" in message
    for words in named:
        assert words in message
    if named[0] == "rules":
        assert repr(BANK.rules[0].id) in message, "the message names the rule"
