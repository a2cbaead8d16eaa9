"""The assessment workflow through the services and the API: request, schedule, save
half-way, submit, return, finalise; the elder's level and entitlements; bad input."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from tests.conftest import World
from tests.factories import UserFactory, make_elder
from yiyang.assessments import services
from yiyang.assessments.choices import AssessmentStatus, RequestedVia
from yiyang.assessments.models import Assessment, EligibilityRule
from yiyang.assessments.selectors import assessments_due, instrument_current
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.elders.models import AccessLog, Elder

GB = "GB/T 42195-2022"


def full_marks() -> dict[str, int]:
    instrument = instrument_current(code=GB)
    assert instrument is not None
    return {
        item["code"]: max(o["points"] for o in item["options"])
        for domain in instrument.definition["domains"]
        for item in domain["items"]
    }


def mild_answers() -> dict[str, int]:
    """Total 80: preliminary level 1 (mild)."""
    return full_marks() | {"B.1.3": 0, "B.2.4": 0, "B.4.3": 1}


@pytest.fixture
def elder(world: World) -> Elder:
    return make_elder(world.user["city_admin"], world.div["XA1a"], name="李桂兰")  # type: ignore[return-value]


@pytest.fixture
def second(world: World) -> Any:
    return UserFactory(username="assessor2", role=Role.ASSESSOR, division=world.div["XA"])


def scheduled(world: World, elder: Elder, **extra: Any) -> Assessment:
    assessment = services.assessment_request(
        actor=world.user["community_worker"], elder=elder, reason="first"
    )
    return services.assessment_schedule(
        actor=world.user["community_worker"],
        assessment=assessment,
        assessor=world.user["assessor"],
        scheduled_at=timezone.now(),
        place="家中",
        **extra,
    )


def test_the_whole_workflow_sets_the_elder_level_and_entitlements(
    world: World, elder: Elder
) -> None:
    assessor, reviewer = world.user["assessor"], world.user["district_officer"]
    services.eligibility_rule_create(
        actor=world.user["city_admin"],
        name="居家服务补贴",
        entitlement="home_care_allowance",
        amount_yuan="300",
        unit="per_month",
        min_level=1,
        max_level=4,
        valid_from=datetime.date(2026, 1, 1),
    )
    assessment = scheduled(world, elder)
    assert assessment.status == AssessmentStatus.SCHEDULED
    assessment = services.assessment_save(
        actor=assessor, assessment=assessment, values={"answers": {"B.1.1": 4, "B.1.2": 3}}
    )
    assert (assessment.status, assessment.answered_items, assessment.total) == (
        AssessmentStatus.IN_PROGRESS,
        2,
        7,
    )
    assessment = services.assessment_submit(
        actor=assessor, assessment=assessment, values={"answers": mild_answers()}
    )
    assert (assessment.status, assessment.total, assessment.final_level) == ("submitted", 80, 1)
    assessment = services.assessment_return(
        actor=reviewer, assessment=assessment, reason="B.3.8 请复核"
    )
    assert assessment.status == AssessmentStatus.RETURNED
    assessment = services.assessment_submit(
        actor=assessor,
        assessment=assessment,
        values={"diagnoses": ["F03"], "risk_events_30d": {"fall": 1, "choking": 1}},
    )
    assessment = services.assessment_finalise(actor=reviewer, assessment=assessment)
    assert (assessment.status, assessment.preliminary_level, assessment.final_level) == (
        AssessmentStatus.FINAL,
        1,
        2,
    )
    assert assessment.valid_until == services.add_months(timezone.localdate(), 12)
    elder.refresh_from_db()
    assert elder.ability_level == "moderate"
    found = services.entitlements_for(elder=elder)
    assert [(e.rule.name, e.rule.amount_yuan) for e in found] == [("居家服务补贴", 300)]
    assert any("ability level" in reason for reason in found[0].reasons)
    steps = AuditEvent.objects.filter(object_id=str(assessment.external_id)).count()
    assert steps == 7  # request, schedule, save, submit, return, submit, finalise
    # The elder's history names the assessment that changed the level.
    change = AuditEvent.objects.filter(object_id=str(elder.external_id)).latest("id")
    assert change.changes["ability_level"] == ["", "moderate"]


def test_answers_are_encrypted_at_rest(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    services.assessment_save(
        actor=world.user["assessor"],
        assessment=assessment,
        values={"answers": {"B.1.1": 4}, "diagnoses": ["F01.1"]},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers_ciphertext, result_ciphertext FROM assessments_assessment")
        stored = " ".join(str(v) for v in cursor.fetchone())
    # Neither a quote nor a dot occurs in Fernet's base64: no chance matches.
    assert '"F01.1"' not in stored and '"B.1.1"' not in stored


def test_a_new_final_assessment_supersedes_the_old(world: World, elder: Elder) -> None:
    reviewer = world.user["district_officer"]
    first = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=first, values={"answers": full_marks()}
    )
    first = services.assessment_finalise(actor=reviewer, assessment=first)
    second = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=second, values={"answers": mild_answers()}
    )
    services.assessment_finalise(actor=reviewer, assessment=second)
    first.refresh_from_db()
    assert first.status == AssessmentStatus.SUPERSEDED
    assert first.superseded_by_id == second.pk
    elder.refresh_from_db()
    assert elder.ability_level == "mild"


def test_a_final_assessment_is_never_edited(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=assessment, values={"answers": full_marks()}
    )
    services.assessment_finalise(actor=world.user["district_officer"], assessment=assessment)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            actor=world.user["assessor"], assessment=assessment, values={"answers": {"B.1.1": 0}}
        )
    assert "status" in error.value.message_dict
    assessment.refresh_from_db()
    assert services.assessment_answers(assessment).answers["B.1.1"] == 4


def test_submitting_twice_is_refused(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=assessment, values={"answers": full_marks()}
    )
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(actor=world.user["assessor"], assessment=assessment)
    assert error.value.message_dict == {"status": ["This assessment has already been submitted."]}


def test_a_missing_item_on_submit_is_named_and_nothing_written(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    answers = full_marks()
    del answers["B.4.5"]
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(
            actor=world.user["assessor"], assessment=assessment, values={"answers": answers}
        )
    assert error.value.message_dict == {"B.4.5": ["This item is not answered."]}
    assessment.refresh_from_db()
    assert (assessment.status, assessment.answers_ciphertext) == ("scheduled", "")


def test_a_bad_answer_or_icd_code_saves_nothing(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    for values in (
        {"answers": {"B.1.1": 4, "B.3.7": 3}},
        {"answers": {"B.1.1": 4}, "diagnoses": ["F03", "ZZ9"]},
    ):
        with pytest.raises(ValidationError):
            services.assessment_save(
                actor=world.user["assessor"], assessment=assessment, values=values
            )
    assessment.refresh_from_db()
    assert assessment.answers_ciphertext == ""


def test_an_assessor_cannot_assess_a_declared_relative(world: World, elder: Elder) -> None:
    services.declaration_record(actor=world.user["assessor"], elder=elder, relation="child")
    assessment = services.assessment_request(
        actor=world.user["community_worker"], elder=elder, reason="first"
    )
    with pytest.raises(ValidationError) as error:
        services.assessment_schedule(
            actor=world.user["community_worker"],
            assessment=assessment,
            assessor=world.user["assessor"],
            scheduled_at=timezone.now(),
            place="家中",
        )
    assert error.value.message_dict == {
        "assessor": ["This assessor has declared a relation to the elder."]
    }


def test_an_assessor_outside_the_elders_area_is_refused(world: World) -> None:
    far = make_elder(world.user["city_admin"], world.div["XB1a"], name="赵大山")
    assessment = services.assessment_request(
        actor=world.user["city_admin"],
        elder=far,
        reason="first",  # type: ignore[arg-type]
    )
    with pytest.raises(ValidationError) as error:
        services.assessment_schedule(
            actor=world.user["city_admin"],
            assessment=assessment,
            assessor=world.user["assessor"],
            scheduled_at=timezone.now(),
            place="家中",
        )
    assert "assessor" in error.value.message_dict


def test_only_the_assigned_assessor_enters_answers(world: World, elder: Elder, second: Any) -> None:
    assessment = scheduled(world, elder)
    with pytest.raises(ValidationError):
        services.assessment_save(actor=second, assessment=assessment, values={"answers": {}})
    with pytest.raises(PermissionDenied):
        services.assessment_save(
            actor=world.user["community_worker"], assessment=assessment, values={"answers": {}}
        )


def test_the_lead_assessor_cannot_finalise_their_own(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=assessment, values={"answers": full_marks()}
    )
    with pytest.raises(ValidationError) as error:
        services.assessment_finalise(actor=world.user["assessor"], assessment=assessment)
    assert "reviewer" in error.value.message_dict


@override_settings(ASSESSMENT_TWO_ASSESSORS=True)
def test_two_assessors_can_be_required(world: World, elder: Elder, second: Any) -> None:
    worker = world.user["community_worker"]
    assessment = services.assessment_request(actor=worker, elder=elder, reason="first")
    when = {"scheduled_at": timezone.now(), "place": "家中"}
    with pytest.raises(ValidationError) as error:
        services.assessment_schedule(
            actor=worker, assessment=assessment, assessor=world.user["assessor"], **when
        )
    assert error.value.message_dict == {"second_assessor": ["Two assessors are required."]}
    assessment = services.assessment_schedule(
        actor=worker,
        assessment=assessment,
        assessor=world.user["assessor"],
        second_assessor=second,
        **when,
    )
    assert assessment.second_assessor == second


def test_a_second_open_request_is_refused(world: World, elder: Elder) -> None:
    services.assessment_request(actor=world.user["community_worker"], elder=elder, reason="first")
    with pytest.raises(ValidationError):
        services.assessment_request(
            actor=world.user["community_worker"], elder=elder, reason="routine"
        )
    assert Assessment.objects.filter(elder=elder).count() == 1


def test_a_fall_after_an_assessment_proposes_an_immediate_one(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=assessment, values={"answers": full_marks()}
    )
    services.assessment_finalise(actor=world.user["district_officer"], assessment=assessment)
    services.risk_event_record(
        actor=world.user["community_worker"],
        elder=elder,
        kind="fall",
        occurred_on=timezone.localdate(),
    )
    proposed = Assessment.objects.get(elder=elder, status=AssessmentStatus.REQUESTED)
    assert (proposed.reason, proposed.requested_via) == ("immediate", RequestedVia.AUTOMATIC)
    assert services.risk_events_30d(elder) == {"fall": 1}


def test_due_and_overdue_assessments_are_listed_and_requested(world: World, elder: Elder) -> None:
    assessment = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"], assessment=assessment, values={"answers": full_marks()}
    )
    services.assessment_finalise(actor=world.user["district_officer"], assessment=assessment)
    worker = world.user["community_worker"]
    assert list(assessments_due(actor=worker)) == []
    Assessment.objects.filter(pk=assessment.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=3)
    )
    assert [a.pk for a in assessments_due(actor=worker)] == [assessment.pk]
    assert list(assessments_due(actor=world.user["worker_YA1a"])) == []
    assert services.due_assessments_request(actor=worker) == 1
    assert services.due_assessments_request(actor=worker) == 0  # already open


def test_eligibility_rules_keep_their_history_and_validate(world: World) -> None:
    admin = world.user["city_admin"]
    rule = services.eligibility_rule_create(
        actor=admin,
        name="助餐补贴",
        entitlement="meal_subsidy",
        amount_yuan="5",
        unit="per_meal",
        min_level=0,
        max_level=4,
        economic_statuses=["minimum_living"],
        min_age=60,
        valid_from=datetime.date(2026, 1, 1),
    )
    services.eligibility_rule_update(actor=admin, rule=rule, amount_yuan="6")
    events = AuditEvent.objects.filter(object_id=str(rule.external_id)).order_by("id")
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == {"amount_yuan": ["5.00", "6.00"]}
    with pytest.raises(ValidationError) as error:
        services.eligibility_rule_update(actor=admin, rule=rule, min_level=3, max_level=1)
    assert "max_level" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.eligibility_rule_update(actor=world.user["district_officer"], rule=rule, name="x")
    assert EligibilityRule.objects.get().amount_yuan == 6


# --------------------------------------------------------------------------------------------
# The API


def post(client: Client, url: str, body: Any, method: str = "post") -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_preview_scores_without_saving(client_for: Callable[[str], Client], world: World) -> None:
    client = client_for("assessor")
    body = {
        "instrument": GB,
        "answers": full_marks(),
        "coma": False,
        "diagnoses": ["F01"],
        "risk_events_30d": {"fall": 1, "choking": 1},
    }
    response = post(client, "/api/v1/assessments/preview/", body)
    assert response.status_code == 200
    data = response.json()
    assert data["domain_totals"] == {"B.1": 32, "B.2": 15, "B.3": 28, "B.4": 15}
    assert (data["total"], data["preliminary_level"], data["final_level"]) == (90, 0, 1)
    assert [r["rule"] for r in data["applied_rules"]] == ["mental_disorder", "risk_events"]
    assert Assessment.objects.count() == 0


def test_preview_names_a_missing_item(client_for: Callable[[str], Client]) -> None:
    answers = full_marks()
    del answers["B.1.7"]
    response = post(
        client_for("assessor"),
        "/api/v1/assessments/preview/",
        {"instrument": GB, "answers": answers},
    )
    assert response.status_code == 400
    assert "B.1.7" in response.json()


@pytest.mark.parametrize("role", ["community_worker", "auditor", "caregiver", "family"])
def test_preview_is_for_assessors_and_above(role: str, client_for: Callable[[str], Client]) -> None:
    response = post(
        client_for(role),
        "/api/v1/assessments/preview/",
        {"instrument": GB, "answers": full_marks()},
    )
    assert response.status_code == 403


def test_the_api_runs_the_workflow(
    client_for: Callable[[str], Client], world: World, elder: Elder
) -> None:
    worker, assessor = client_for("community_worker"), client_for("assessor")
    reviewer = client_for("district_officer")
    created = post(
        worker, "/api/v1/assessments/", {"elder": str(elder.external_id), "reason": "first"}
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/assessments/{created.json()['id']}/"
    response = post(
        worker,
        url + "schedule/",
        {
            "assessor": str(world.user["assessor"].external_id),
            "scheduled_at": timezone.now().isoformat(),
            "place": "家中",
        },
    )
    assert response.status_code == 200, response.content
    half = post(assessor, url + "answers/", {"answers": {"B.1.1": 4}}, method="patch")
    assert half.json()["answered_items"] == 1
    assert post(assessor, url + "submit/", {}).status_code == 400  # 25 items missing
    done = post(assessor, url + "submit/", {"answers": mild_answers()})
    assert done.json()["status"] == "submitted"
    again = post(assessor, url + "submit/", {})
    assert again.status_code == 400
    final = post(reviewer, url + "finalise/", {})
    assert final.status_code == 200, final.content
    assert (final.json()["status"], final.json()["final_level"]) == ("final", 1)
    assert final.json()["answers"]["answers"]["B.1.1"] == 4  # the reviewer sees them, logged
    assert AccessLog.objects.filter(actor_username="district_officer", fields=["health"]).exists()
    auditor_view = client_for("auditor").get(url)
    assert auditor_view.status_code == 200
    assert auditor_view.json()["answers"] is None  # totals and levels, not the answers
    entitlements = worker.get(f"/api/v1/entitlements/{elder.external_id}/")
    assert entitlements.status_code == 200
    assert entitlements.json() == []


def test_key_rotation_reencrypts_the_answers(world: World, elder: Elder, settings: Any) -> None:
    from cryptography.fernet import Fernet

    from yiyang.elders.services import field_keys_rotate

    assessment = scheduled(world, elder)
    services.assessment_save(
        actor=world.user["assessor"],
        assessment=assessment,
        values={"answers": {"B.1.1": 3}, "diagnoses": ["F01"]},
    )
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    counts = field_keys_rotate(actor=world.user["city_admin"])
    assert counts["assessments.assessment"] == 1
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key is gone
    assessment.refresh_from_db()
    entry = services.assessment_answers(assessment)
    assert (entry.answers, entry.diagnoses) == ({"B.1.1": 3}, ["F01"])
    assert services.assessment_result(assessment)["total"] == 3


def test_load_instrument_command(tmp_path: Any, db: None) -> None:
    from django.core.management import call_command

    source = json.loads((services.INSTRUMENT_DIR / "barthel_1965.json").read_text(encoding="utf-8"))
    variant = source | {"version": "local-2026", "title": "Barthel 本地版"}
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(variant, ensure_ascii=False), encoding="utf-8")
    call_command("load-instrument", str(path))
    current = instrument_current(code="Barthel")
    assert current is not None and current.version == "local-2026"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(source | {"version": "x", "max_total": 99}), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_code:
        call_command("load-instrument", str(bad))
    assert exit_code.value.code == 2
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xff not json")
    with pytest.raises(SystemExit) as exit_code:
        call_command("load-instrument", str(garbage))
    assert exit_code.value.code == 2


@pytest.mark.parametrize("url", ["/api/v1/assessments/", "/api/v1/assessments/due/"])
def test_list_api_queries_do_not_grow_with_rows(
    url: str, world: World, client_for: Callable[[str], Client]
) -> None:
    from django.test.utils import CaptureQueriesContext

    client = client_for("district_officer")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    def add(n: int) -> None:
        for _ in range(n):
            elder = make_elder(world.user["city_admin"], world.div["XA1a"])
            assessment = scheduled(world, elder)  # type: ignore[arg-type]
            services.assessment_submit(
                actor=world.user["assessor"],
                assessment=assessment,
                values={"answers": full_marks()},
            )
            services.assessment_finalise(
                actor=world.user["district_officer"], assessment=assessment
            )
        Assessment.objects.update(valid_until=timezone.localdate())

    add(1)
    count()
    few = count()
    add(5)
    assert count() == few
    assert few <= 10
