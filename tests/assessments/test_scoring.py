"""The GB/T 42195-2022 and Barthel scoring, pinned on worked cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyang.assessments import scoring
from yiyang.assessments.scoring import Facts, Rules, ScoringError, score

INSTRUMENTS = Path(__file__).resolve().parents[2] / "yiyang" / "assessments" / "instruments"
GB: dict[str, Any] = json.loads((INSTRUMENTS / "gbt42195_2022.json").read_text("utf-8"))
BARTHEL: dict[str, Any] = json.loads((INSTRUMENTS / "barthel_1965.json").read_text("utf-8"))
ITEMS = scoring.items_of(GB)


def full_marks(definition: dict[str, Any] = GB) -> dict[str, int]:
    return {
        code: max(o["points"] for o in item["options"])
        for code, item in scoring.items_of(definition).items()
    }


def answers_totalling(total: int) -> dict[str, int]:
    """Answers whose points add up to ``total``: items lowered from full marks in order."""
    answers = full_marks()
    missing = 90 - total
    for code, item in ITEMS.items():
        points = sorted(o["points"] for o in item["options"])
        while missing and answers[code] > points[0]:
            lower = max(p for p in points if p < answers[code])
            step = answers[code] - lower
            if step > missing:
                break
            answers[code] = lower
            missing -= step
    assert missing == 0
    return answers


def test_the_instrument_has_26_items_in_four_domains_totalling_90() -> None:
    assert len(ITEMS) == 26
    assert [(d["code"], d["max"]) for d in GB["domains"]] == [
        ("B.1", 32),
        ("B.2", 15),
        ("B.3", 28),
        ("B.4", 15),
    ]
    assert scoring.validate_definition(GB) == []
    assert scoring.validate_definition(BARTHEL) == []


def test_full_marks_is_ability_intact() -> None:
    result = score(GB, full_marks())
    assert result.domain_totals == {"B.1": 32, "B.2": 15, "B.3": 28, "B.4": 15}
    assert (result.total, result.preliminary_level, result.final_level) == (90, 0, 0)
    assert result.applied_rules == []


@pytest.mark.parametrize(
    ("total", "level"),
    [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)],
)
def test_each_level_boundary(total: int, level: int) -> None:
    result = score(GB, answers_totalling(total))
    assert result.total == total
    assert result.preliminary_level == level
    assert result.final_level == level


def test_coma_is_complete_loss_whatever_the_score() -> None:
    result = score(GB, full_marks(), Facts(coma=True))
    assert (result.preliminary_level, result.final_level) == (0, 4)
    assert [r["rule"] for r in result.applied_rules] == ["coma"]


def test_a_dementia_code_raises_one_level() -> None:
    result = score(GB, answers_totalling(70), Facts(diagnoses=["F01.1", "I10"]))
    assert (result.preliminary_level, result.final_level) == (1, 2)
    assert result.applied_rules[0]["rule"] == "mental_disorder"
    assert result.applied_rules[0]["evidence"] == ["F01.1"]


def test_another_mental_disorder_also_raises_but_a_physical_code_does_not() -> None:
    assert score(GB, answers_totalling(70), Facts(diagnoses=["F32"])).final_level == 2
    assert score(GB, answers_totalling(70), Facts(diagnoses=["I63", "E11"])).final_level == 1


def test_two_risk_events_of_different_kinds_count_together() -> None:
    result = score(GB, answers_totalling(50), Facts(risk_events_30d={"fall": 1, "choking": 1}))
    assert (result.preliminary_level, result.final_level) == (2, 3)
    assert [r["rule"] for r in result.applied_rules] == ["risk_events"]


def test_one_risk_event_changes_nothing() -> None:
    assert score(GB, answers_totalling(50), Facts(risk_events_30d={"fall": 1})).final_level == 2


def test_both_raising_rules_raise_one_level_by_default() -> None:
    facts = Facts(diagnoses=["F03"], risk_events_30d={"fall": 2})
    result = score(GB, answers_totalling(70), facts, Rules(stack_raising_rules=False))
    assert (result.preliminary_level, result.final_level) == (1, 2)
    assert len(result.applied_rules) == 2


def test_both_raising_rules_add_up_when_set_to_stack() -> None:
    facts = Facts(diagnoses=["F03"], risk_events_30d={"fall": 2})
    result = score(GB, answers_totalling(70), facts, Rules(stack_raising_rules=True))
    assert (result.preliminary_level, result.final_level) == (1, 3)


def test_raising_stops_at_complete_loss() -> None:
    facts = Facts(diagnoses=["F03"], risk_events_30d={"wandering": 3})
    result = score(GB, answers_totalling(20), facts, Rules(stack_raising_rules=True))
    assert (result.preliminary_level, result.final_level) == (4, 4)


def test_a_missing_item_is_named() -> None:
    answers = full_marks()
    del answers["B.3.4"]
    with pytest.raises(ScoringError) as error:
        score(GB, answers)
    assert error.value.errors == {"B.3.4": "This item is not answered."}


def test_half_a_form_scores_as_a_running_total() -> None:
    result = score(GB, {"B.1.1": 4, "B.2.4": 3}, complete=False)
    assert (result.total, result.answered, result.items) == (7, 2, 26)


def test_an_answer_outside_the_options_is_refused() -> None:
    answers = full_marks() | {"B.2.4": 4}
    with pytest.raises(ScoringError) as error:
        score(GB, answers)
    assert error.value.errors == {
        "B.2.4": "4 is not an option of this item; options: [0, 1, 2, 3]."
    }


def test_an_unknown_item_and_a_non_number_are_refused() -> None:
    with pytest.raises(ScoringError) as error:
        score(GB, full_marks() | {"B.9.9": 1, "B.1.1": "four"})
    assert set(error.value.errors) == {"B.9.9", "B.1.1"}


def test_an_icd10_code_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ScoringError) as error:
        score(GB, full_marks(), Facts(diagnoses=["F01", "X99.9", "Q"]))
    assert error.value.errors == {"diagnoses": "Not an ICD-10 code: X99.9, Q."}


def test_icd10_codes_are_normalised() -> None:
    assert scoring.clean_diagnoses([" f011", "I10", "I10"]) == ["F01.1", "I10"]


def test_unknown_risk_event_kinds_are_refused() -> None:
    with pytest.raises(ScoringError):
        score(GB, full_marks(), Facts(risk_events_30d={"earthquake": 2}))


@pytest.mark.parametrize(
    ("scheme", "total", "band"),
    [
        ("mzt039", 100, "能力完好"),
        ("mzt039", 95, "轻度受损"),
        ("mzt039", 65, "轻度受损"),
        ("mzt039", 60, "中度受损"),
        ("mzt039", 45, "中度受损"),
        ("mzt039", 40, "重度受损"),
        ("shah1989", 100, "独立"),
        ("shah1989", 95, "轻微依赖"),
        ("shah1989", 90, "中度依赖"),
        ("shah1989", 60, "重度依赖"),
        ("shah1989", 20, "完全依赖"),
        ("wst431", 100, "无需依赖"),
        ("wst431", 65, "轻度依赖"),
        ("wst431", 60, "中度依赖"),
        ("wst431", 40, "重度依赖"),
    ],
)
def test_barthel_bands(scheme: str, total: int, band: str) -> None:
    answers = full_marks(BARTHEL)
    missing = 100 - total
    for code in scoring.items_of(BARTHEL):
        take = min(missing, answers[code])
        answers[code] -= take
        missing -= take
    result = score(BARTHEL, answers, rules=Rules(barthel_band_scheme=scheme))
    assert result.total == total
    assert result.band == band


GB_OPTIONS = {code: sorted(o["points"] for o in item["options"]) for code, item in ITEMS.items()}


@settings(max_examples=200, deadline=None)
@given(
    answers=st.fixed_dictionaries({c: st.sampled_from(p) for c, p in GB_OPTIONS.items()}),
    coma=st.booleans(),
    dementia=st.booleans(),
    events=st.dictionaries(
        st.sampled_from(["fall", "wandering", "choking", "suicide_self_harm", "other"]),
        st.integers(0, 5),
    ),
    stack=st.booleans(),
)
def test_totals_lie_in_0_to_90_and_the_final_level_never_falls(
    answers: dict[str, int], coma: bool, dementia: bool, events: dict[str, int], stack: bool
) -> None:
    facts = Facts(coma=coma, diagnoses=["F02"] if dementia else [], risk_events_30d=events)
    result = score(GB, answers, facts, Rules(stack_raising_rules=stack))
    assert 0 <= result.total <= 90
    assert sum(result.domain_totals.values()) == result.total
    assert result.preliminary_level <= result.final_level <= 4
    assert result.final_level - result.preliminary_level <= (2 if stack else 1) or coma
