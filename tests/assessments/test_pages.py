"""The assessment pages: who sees which page, the workflow through the pages, the form
screen by screen (save, reload, resume, submit), the report and its PDF, the elder's page,
the eligibility rules, query counts and garbage input."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.assessments.test_workflow import full_marks, mild_answers
from tests.conftest import World, login
from tests.factories import make_elder
from yiyang.assessments import services
from yiyang.assessments.choices import AssessmentStatus
from yiyang.assessments.models import Assessment, EligibilityRule
from yiyang.elders.models import AccessLog, Elder

VIEWERS = [
    "city_admin",
    "district_officer",
    "street_officer",
    "community_worker",
    "assessor",
    "auditor",
]
NON_VIEWERS = ["provider_manager", "caregiver", "operator", "family"]


@pytest.fixture
def elder(world: World) -> Elder:
    return make_elder(world.user["city_admin"], world.div["XA1a"], name="李桂兰")  # type: ignore[return-value]


def requested(world: World, elder: Elder) -> Assessment:
    return services.assessment_request(
        actor=world.user["community_worker"], elder=elder, reason="first"
    )


def scheduled(world: World, elder: Elder) -> Assessment:
    return services.assessment_schedule(
        actor=world.user["community_worker"],
        assessment=requested(world, elder),
        assessor=world.user["assessor"],
        scheduled_at=timezone.now(),
        place="家中",
    )


def submitted(world: World, elder: Elder, answers: dict[str, int] | None = None) -> Assessment:
    return services.assessment_submit(
        actor=world.user["assessor"],
        assessment=scheduled(world, elder),
        values={"answers": answers or mild_answers()},
    )


def final(world: World, elder: Elder) -> Assessment:
    return services.assessment_finalise(
        actor=world.user["district_officer"], assessment=submitted(world, elder)
    )


def url(assessment: Assessment, suffix: str = "") -> str:
    return f"/assessments/{assessment.external_id}/{suffix}"


# --------------------------------------------------------------------------------------------
# Who sees what


@pytest.mark.parametrize("role", VIEWERS)
@pytest.mark.parametrize(
    "path", ["/assessments/", "/assessments/due/", "/assessments/eligibility/"]
)
def test_list_pages_render_for_viewers(
    role: str, path: str, client_for: Callable[[str], Client]
) -> None:
    assert client_for(role).get(path).status_code == 200


@pytest.mark.parametrize("role", NON_VIEWERS)
@pytest.mark.parametrize(
    "path", ["/assessments/", "/assessments/due/", "/assessments/eligibility/"]
)
def test_list_pages_are_403_for_other_roles(
    role: str, path: str, client_for: Callable[[str], Client]
) -> None:
    assert client_for(role).get(path).status_code == 403


def test_the_list_shows_the_columns_and_the_mine_filter(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = submitted(world, elder)
    other = make_elder(world.user["city_admin"], world.div["XA1b"], name="王淑芬")
    services.assessment_request(actor=world.user["district_officer"], elder=other, reason="first")  # type: ignore[arg-type]
    page = client_for("community_worker").get("/assessments/").content.decode()
    assert "李桂兰" in page and str(assessment.external_id) in page
    assert ">80<" in page  # the total
    assessor = client_for("assessor")
    everything = assessor.get("/assessments/").content.decode()
    assert "李桂兰" in everything  # assigned to them
    mine = assessor.get("/assessments/?mine=1").content.decode()
    assert "李桂兰" in mine and "王淑芬" not in mine
    filtered = assessor.get("/assessments/?status=submitted&q=李").content.decode()
    assert "李桂兰" in filtered


def test_the_list_is_scoped(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    requested(world, elder)
    assert "李桂兰" not in client_for("worker_YA1a").get("/assessments/").content.decode()


def test_detail_renders_for_the_right_roles_and_404_outside(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = submitted(world, elder)
    for role in ("community_worker", "assessor", "district_officer", "auditor"):
        assert client_for(role).get(url(assessment)).status_code == 200, role
    assert client_for("worker_YA1a").get(url(assessment)).status_code == 404
    assert client_for("operator").get(url(assessment)).status_code == 403
    assert client_for("assessor").get("/assessments/not-a-uuid/").status_code == 404


def test_detail_shows_result_rules_history_and_actions(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    services.assessment_submit(
        actor=world.user["assessor"],
        assessment=assessment,
        values={"answers": mild_answers(), "diagnoses": ["F03"]},
    )
    logged = AccessLog.objects.count()
    page = client_for("district_officer").get(url(assessment)).content.decode()
    assert 'id="finalise"' in page and 'id="return-form"' in page
    assert "确诊为痴呆" in page  # the applied rule, in the standard's words
    assert "F03" in page  # the evidence, to a reviewer who may see the answers
    assert 'id="history"' in page
    assert AccessLog.objects.count() == logged + 1  # the answers shown were logged
    # A street officer sees that a rule raised the level, never the diagnosis behind it.
    officer_page = client_for("street_officer").get(url(assessment)).content.decode()
    assert "确诊为痴呆" not in officer_page and "F03" not in officer_page
    assert 'id="finalise"' not in officer_page
    # The lead assessor sees no review actions on their own assessment.
    assert 'id="finalise"' not in client_for("assessor").get(url(assessment)).content.decode()


# --------------------------------------------------------------------------------------------
# Workflow actions through the pages


def test_schedule_through_the_page(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = requested(world, elder)
    client = client_for("community_worker")
    page = client.get(url(assessment)).content.decode()
    assert str(world.user["assessor"].external_id) in page  # offered as an assessor
    when = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url(assessment, "schedule/"),
        {
            "assessor": str(world.user["assessor"].external_id),
            "scheduled_at": when,
            "place": "家中",
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.status, assessment.assessor_id) == ("scheduled", world.user["assessor"].pk)


def test_schedule_errors_are_shown_next_to_the_fields(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = requested(world, elder)
    client = client_for("community_worker")
    past = (timezone.localtime() - datetime.timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url(assessment, "schedule/"),
        {
            "assessor": str(world.user["assessor"].external_id),
            "scheduled_at": past,
            "place": " ",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "field-place has-error" in page
    response = client.post(
        url(assessment, "schedule/"),
        {
            "assessor": str(world.user["assessor"].external_id),
            "second_assessor": str(world.user["assessor"].external_id),
            "scheduled_at": past,
            "place": "家中",
        },
    )
    assert response.status_code == 400
    assert "field-scheduled_at has-error" in response.content.decode()
    assert "field-second_assessor has-error" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REQUESTED


def test_finalise_through_the_page_sets_the_elder_level(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = submitted(world, elder)
    response = client_for("district_officer").post(url(assessment, "finalise/"))
    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.ability_level == "mild"
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FINAL
    # Finalising twice is an error on the page, never a 500.
    again = client_for("district_officer").post(url(assessment, "finalise/"))
    assert again.status_code == 404 or again.status_code == 400


def test_the_lead_assessor_cannot_finalise_through_the_page(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = submitted(world, elder)
    response = client_for("assessor").post(url(assessment, "finalise/"))
    assert response.status_code == 400
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert client_for("community_worker").post(url(assessment, "finalise/")).status_code == 403


def test_return_and_cancel_need_a_reason(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = submitted(world, elder)
    officer = client_for("district_officer")
    assert officer.post(url(assessment, "return/"), {"return-reason": ""}).status_code == 400
    response = officer.post(url(assessment, "return/"), {"return-reason": "B.3.8 请复核"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.status, assessment.return_reason) == ("returned", "B.3.8 请复核")
    assert "B.3.8 请复核" in client_for("assessor").get(url(assessment)).content.decode()
    worker = client_for("community_worker")
    assert worker.post(url(assessment, "cancel/"), {"cancel-reason": ""}).status_code == 400
    assert worker.post(url(assessment, "cancel/"), {"cancel-reason": "搬走"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.CANCELLED


# --------------------------------------------------------------------------------------------
# The form, screen by screen


def post_screen(client: Client, assessment: Assessment, step: str, go: str, **data: Any) -> Any:
    return client.post(url(assessment, "form/"), {"step": step, "go": go, **data})


def test_the_form_is_only_for_the_assessors_of_the_assessment(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    assert client_for("assessor").get(url(assessment, "form/")).status_code == 200
    assert client_for("district_officer").get(url(assessment, "form/")).status_code == 403
    assert client_for("community_worker").get(url(assessment, "form/")).status_code == 403
    assert client_for("worker_YA1a").get(url(assessment, "form/")).status_code == 403


def test_one_domain_per_screen_with_every_option_in_full(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    page = client_for("assessor").get(url(assessment, "form/")).content.decode()
    assert 'data-step="B.1"' in page
    assert page.count('class="af-item') == 8  # the eight items of B.1
    assert "独立使用器具进食并咽下，没有呛咳" in page  # B.1.1 option 4 in full
    assert "有时出现（每周&lt;1次）便秘或大便失禁" in page  # B.1.7 wording setting applied
    assert 'id="running-total"' in page and 'id="answered-count"' in page
    assert "/api/v1/assessments/preview/" in page
    assert "B.2.1" not in page.split('id="assessment-form"')[1].split("</form>")[0]
    for step, count in (("B.2", 4), ("B.3", 9), ("B.4", 5)):
        screen = client_for("assessor").get(url(assessment, f"form/?step={step}")).content.decode()
        assert screen.count('class="af-item') == count, step


def test_a_screen_is_saved_when_moving_on_and_survives_a_reload(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    client = client_for("assessor")
    response = post_screen(client, assessment, "B.1", "B.2", **{"B.1.1": "4", "B.1.2": "3"})
    assert response.status_code == 302
    assert response["Location"].endswith("form/?step=B.2")
    assessment.refresh_from_db()
    assert (assessment.status, assessment.answered_items, assessment.total) == (
        "in_progress",
        2,
        7,
    )
    page = client.get(url(assessment, "form/?step=B.1")).content.decode()
    assert 'name="B.1.1" value="4" checked' in page
    assert 'name="B.1.2" value="3" checked' in page
    assert 'name="B.1.3" value="4" checked' not in page
    assert '<strong id="answered-count">2</strong>' in page
    assert '<strong id="running-total">7</strong>' in page


def test_opening_the_form_resumes_on_the_first_unfinished_screen(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    answers = {code: points for code, points in full_marks().items() if code < "B.3.2"}
    services.assessment_save(
        actor=world.user["assessor"], assessment=assessment, values={"answers": answers}
    )
    page = client_for("assessor").get(url(assessment, "form/")).content.decode()
    assert 'data-step="B.3"' in page
    assert '<strong id="answered-count">13</strong>' in page
    nonsense = client_for("assessor").get(url(assessment, "form/?step=../x")).content.decode()
    assert 'data-step="B.3"' in nonsense


def test_the_barthel_index_has_one_screen_and_a_summary(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = services.assessment_request(
        actor=world.user["community_worker"],
        elder=elder,
        reason="first",
        instrument_code="Barthel",
    )
    services.assessment_schedule(
        actor=world.user["community_worker"],
        assessment=assessment,
        assessor=world.user["assessor"],
        scheduled_at=timezone.now(),
        place="家中",
    )
    client = client_for("assessor")
    page = client.get(url(assessment, "form/")).content.decode()
    assert 'data-step="ADL"' in page and page.count('class="af-item') == 10
    assert 'value="facts"' not in page
    definition = assessment.instrument.definition
    answers = {
        item["code"]: str(max(o["points"] for o in item["options"]))
        for item in definition["domains"][0]["items"]
    }
    assert post_screen(client, assessment, "ADL", "summary", **answers).status_code == 302
    assert post_screen(client, assessment, "summary", "submit").status_code == 302
    assessment.refresh_from_db()
    assert (assessment.status, assessment.total) == (AssessmentStatus.SUBMITTED, 100)
    services.assessment_finalise(actor=world.user["district_officer"], assessment=assessment)
    report = client_for("district_officer").get(url(assessment, "report/")).content.decode()
    assert "C.4" not in report and ">100<" in report
    pdf = client_for("district_officer").get(url(assessment, "report.pdf"))
    assert pdf.content.startswith(b"%PDF")


def test_a_bad_answer_is_shown_next_to_its_item_and_nothing_is_saved(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    client = client_for("assessor")
    response = post_screen(client, assessment, "B.1", "B.2", **{"B.1.1": "4", "B.1.2": "7"})
    assert response.status_code == 400
    page = response.content.decode()
    fieldset = page.split('id="item-B.1.2"')[1].split("</fieldset>")[0]
    assert "不是该项目的选项" in fieldset
    assert 'name="B.1.1" value="4" checked' in page  # nothing the assessor chose is lost
    assessment.refresh_from_db()
    assert assessment.answered_items == 0
    garbage = post_screen(client, assessment, "B.1", "B.2", **{"B.1.1": "abc"})
    assert garbage.status_code == 400


def test_the_facts_screen_prefills_risk_events_and_validates_codes(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    today = timezone.localdate()
    for kind in ("fall", "choking"):
        services.risk_event_record(
            actor=world.user["community_worker"], elder=elder, kind=kind, occurred_on=today
        )
    assessment = scheduled(world, elder)
    client = client_for("assessor")
    page = client.get(url(assessment, "form/?step=facts")).content.decode()
    assert 'name="risk_fall" value="1"' in page and 'name="risk_choking" value="1"' in page
    assert 'value="F03"' in page  # dementia on the national list, as its ICD-10 code
    bad = post_screen(
        client, assessment, "facts", "summary", coma="no", diagnoses_free="XYZ9", risk_fall="1"
    )
    assert bad.status_code == 400
    assert "不是 ICD-10 编码：XYZ9" in bad.content.decode()
    good = post_screen(
        client,
        assessment,
        "facts",
        "summary",
        coma="no",
        diagnoses=["F03"],
        diagnoses_free="G30, I10",
        risk_fall="1",
        risk_choking="1",
    )
    assert good.status_code == 302
    entry = services.assessment_answers(Assessment.objects.get(pk=assessment.pk))
    assert entry.diagnoses == ["F03", "G30", "I10"]
    assert entry.risk_events_30d == {"fall": 1, "choking": 1}
    again = client.get(url(assessment, "form/?step=facts")).content.decode()
    boxes = re.findall(r"<input[^>]*>", again)
    assert any('value="F03"' in box and "checked" in box for box in boxes)
    assert 'value="G30"' in again  # free codes come back in the text field


def test_submitting_with_a_missing_item_shows_it_and_then_submits(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    client = client_for("assessor")
    answers = full_marks()
    answers.pop("B.3.4")
    services.assessment_save(
        actor=world.user["assessor"], assessment=assessment, values={"answers": answers}
    )
    response = post_screen(client, assessment, "summary", "submit")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-item="B.3.4"' in page and "该项目尚未作答。" in page
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    post_screen(client, assessment, "B.3", "B.4", **{"B.3.4": "4"})
    done = post_screen(client, assessment, "summary", "submit")
    assert done.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.status, assessment.total) == (AssessmentStatus.SUBMITTED, 90)
    # A submitted assessment's form sends the assessor back to its page.
    assert client.get(url(assessment, "form/")).status_code == 302


# --------------------------------------------------------------------------------------------
# The report


def test_the_report_is_for_submitted_and_final_ones(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    assert client_for("community_worker").get(url(assessment, "report/")).status_code == 404
    services.assessment_submit(
        actor=world.user["assessor"], assessment=assessment, values={"answers": mild_answers()}
    )
    assessment = services.assessment_finalise(
        actor=world.user["district_officer"], assessment=assessment
    )
    page = client_for("street_officer").get(url(assessment, "report/")).content.decode()
    for part in ("C.1", "C.2", "C.3", "C.4", "C.5", "各一级指标得分", "等级变更依据", "评估员签名"):
        assert part in page, part
    assert 'id="report-answers"' not in page  # a street officer may not see the answers
    reviewer_page = client_for("district_officer").get(url(assessment, "report/")).content.decode()
    assert 'id="report-answers"' in reviewer_page
    assert client_for("worker_YA1a").get(url(assessment, "report/")).status_code == 404


def test_the_report_pdf(world: World, elder: Elder, client_for: Callable[[str], Client]) -> None:
    assessment = final(world, elder)
    response = client_for("district_officer").get(url(assessment, "report.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"STSong-Light" in response.content  # Chinese in reportlab's built-in CID font
    assert client_for("operator").get(url(assessment, "report.pdf")).status_code == 403


# --------------------------------------------------------------------------------------------
# The elder's page


def elder_url(elder: Elder, suffix: str = "") -> str:
    return f"/assessments/elders/{elder.external_id}/{suffix}"


def test_the_elder_page_shows_level_trend_and_entitlements(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    services.eligibility_rule_create(
        actor=world.user["city_admin"],
        name="居家服务补贴",
        entitlement="home_care_allowance",
        amount_yuan="300",
        unit="per_month",
        min_level=1,
        max_level=4,
        valid_from=datetime.date(2020, 1, 1),
    )
    client = client_for("community_worker")
    before = client.get(elder_url(elder)).content.decode()
    assert 'id="no-entitlements"' in before
    final(world, elder)
    page = client.get(elder_url(elder)).content.decode()
    assert 'data-level="mild"' in page
    assert "居家服务补贴" in page and "300.00" in page
    assert "能力等级：" in page  # why
    assert '<path class="step"' in page and "<circle" in page
    assert client_for("worker_YA1a").get(elder_url(elder)).status_code == 404
    assert client_for("operator").get(elder_url(elder)).status_code == 403


def test_the_elder_profile_links_to_the_assessment_page(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    page = client_for("community_worker").get(f"/elders/{elder.external_id}/").content.decode()
    assert f'href="/assessments/elders/{elder.external_id}/"' in page


def test_recording_a_fall_proposes_an_immediate_reassessment(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    final(world, elder)
    client = client_for("community_worker")
    response = client.post(
        elder_url(elder, "risk-events/"),
        {"kind": "fall", "occurred_on": timezone.localdate().isoformat(), "note": "浴室"},
        follow=True,
    )
    assert response.status_code == 200
    assert "即时评估" in response.content.decode()
    assert Assessment.objects.filter(elder=elder, reason="immediate", status="requested").exists()
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    bad = client.post(elder_url(elder, "risk-events/"), {"kind": "fall", "occurred_on": future})
    assert bad.status_code == 400
    assert "field-occurred_on has-error" in bad.content.decode()


def test_requesting_an_assessment_from_the_elder_page(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    client = client_for("community_worker")
    response = client.post(elder_url(elder, "request/"), {"reason": "first", "note": "家属申请"})
    assert response.status_code == 302
    assessment = Assessment.objects.get(elder=elder)
    assert response["Location"] == url(assessment)
    twice = client.post(elder_url(elder, "request/"), {"reason": "first"})
    assert twice.status_code == 400
    assert "已有一项进行中的评估" in twice.content.decode()
    assert (
        client_for("auditor").post(elder_url(elder, "request/"), {"reason": "first"}).status_code
        == 403
    )


def test_an_assessor_declares_a_relation(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    client = client_for("assessor")
    assert 'id="declaration-form"' in client.get(elder_url(elder)).content.decode()
    assert client.post(elder_url(elder, "declaration/"), {"relation": "child"}).status_code == 302
    assessment = requested(world, elder)
    # The declared assessor is no longer offered when scheduling.
    page = client_for("community_worker").get(url(assessment)).content.decode()
    assert str(world.user["assessor"].external_id) not in page
    worker = client_for("community_worker")
    assert worker.post(elder_url(elder, "declaration/"), {"relation": "child"}).status_code == 403


# --------------------------------------------------------------------------------------------
# Eligibility rules


RULE = {
    "name": "助餐补贴",
    "entitlement": "meal_subsidy",
    "amount_yuan": "5",
    "unit": "per_meal",
    "min_level": "2",
    "max_level": "4",
    "min_age": "70",
    "valid_from": "2026-01-01",
    "is_active": "on",
}


def test_a_city_admin_creates_and_edits_a_rule_with_history(
    world: World, client_for: Callable[[str], Client]
) -> None:
    admin = client_for("city_admin")
    assert admin.get("/assessments/eligibility/new/").status_code == 200
    response = admin.post("/assessments/eligibility/new/", RULE)
    assert response.status_code == 302
    rule = EligibilityRule.objects.get()
    assert (rule.min_level, rule.min_age, str(rule.amount_yuan)) == (2, 70, "5.00")
    edit = f"/assessments/eligibility/{rule.external_id}/edit/"
    bad = admin.post(edit, RULE | {"min_level": "4", "max_level": "2"})
    assert bad.status_code == 400
    assert "field-max_level has-error" in bad.content.decode()
    assert admin.post(edit, RULE | {"amount_yuan": "6"}).status_code == 302
    page = admin.get(f"/assessments/eligibility/{rule.external_id}/").content.decode()
    assert "5.00 → 6.00" in page
    listing = client_for("auditor").get("/assessments/eligibility/").content.decode()
    assert "助餐补贴" in listing


def test_only_a_city_admin_edits_rules(world: World, client_for: Callable[[str], Client]) -> None:
    officer = client_for("district_officer")
    assert officer.get("/assessments/eligibility/new/").status_code == 403
    assert officer.post("/assessments/eligibility/new/", RULE).status_code == 403
    assert EligibilityRule.objects.count() == 0
    bogus = "/assessments/eligibility/00000000-0000-0000-0000-000000000000/"
    assert officer.get(bogus).status_code == 404


# --------------------------------------------------------------------------------------------
# Due list, navigation, query counts, garbage


def test_the_due_list_and_the_request_button(
    world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = final(world, elder)
    Assessment.objects.filter(pk=assessment.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=2)
    )
    worker = client_for("community_worker")
    page = worker.get("/assessments/due/").content.decode()
    assert "李桂兰" in page and 'id="request-due"' in page and "overdue" in page
    assert 'id="request-due"' not in client_for("auditor").get("/assessments/due/").content.decode()
    assert client_for("auditor").post("/assessments/due/").status_code == 403
    response = worker.post("/assessments/due/", follow=True)
    assert "已申请 1 项复评" in response.content.decode()
    assert Assessment.objects.filter(elder=elder, reason="routine").count() == 1


def test_the_navigation_has_an_entry_for_viewers(client_for: Callable[[str], Client]) -> None:
    assert 'href="/assessments/"' in client_for("community_worker").get("/").content.decode()
    assert 'href="/assessments/"' not in client_for("operator").get("/").content.decode()


def list_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("path", ["/assessments/", "/assessments/due/"])
def test_list_queries_do_not_grow_with_rows(path: str, world: World, client: Client) -> None:
    login(client, world.user["community_worker"])
    first = make_elder(world.user["city_admin"], world.div["XA1a"], name="甲")
    final(world, first)  # type: ignore[arg-type]
    Assessment.objects.update(valid_until=timezone.localdate())
    list_queries(client, path)  # warm the session
    few = list_queries(client, path)
    for index in range(6):
        other = make_elder(world.user["city_admin"], world.div["XA1a"], name=f"乙{index}")
        final(world, other)  # type: ignore[arg-type]
    Assessment.objects.update(valid_until=timezone.localdate())
    many = list_queries(client, path)
    assert many == few
    assert 0 < few <= 12


GARBAGE: list[dict[str, Any]] = [
    {},
    {"step": "B.9", "go": "../../etc", "B.1.1": "x" * 5000},
    {"step": "facts", "go": "submit", "coma": "maybe", "risk_fall": "-4", "diagnoses": ["ZZZ"]},
    {"step": "facts", "coma": "yes", "risk_fall": "1e9", "diagnoses_free": "F03 " * 200},
    {"assessor": "nonsense", "scheduled_at": "tomorrow", "place": "x" * 999},
    {"return-reason": "x" * 5000, "cancel-reason": ["a", "b"]},
    {"kind": "meteor", "occurred_on": "31/02/2026", "reason": "whim", "relation": "cousin"},
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_never_500s(
    body: dict[str, Any], world: World, elder: Elder, client_for: Callable[[str], Client]
) -> None:
    assessment = scheduled(world, elder)
    targets = {
        "assessor": [
            "form/",
            "form/?step=nonsense",
            "schedule/",
            "return/",
            "cancel/",
            "finalise/",
        ],
        "community_worker": ["schedule/", "cancel/", "return/", "finalise/"],
        "district_officer": ["return/", "finalise/", "cancel/"],
    }
    for role, suffixes in targets.items():
        client = client_for(role)
        for suffix in suffixes:
            response = client.post(url(assessment, suffix), body)
            assert response.status_code < 500, (role, suffix, response.status_code)
        for suffix in ("request/", "risk-events/", "declaration/"):
            response = client.post(elder_url(elder, suffix), body)
            assert response.status_code < 500, (role, suffix, response.status_code)
    admin = client_for("city_admin")
    for path in ("/assessments/eligibility/new/", "/assessments/due/"):
        assert admin.post(path, body).status_code < 500
    for query in ("?status=nonsense", "?division=xyz", "?page=-1", "?assessor=%00", "?mine=1"):
        assert client_for("assessor").get(f"/assessments/{query}").status_code < 500


def test_the_trend_is_a_step_chart_running_to_today() -> None:
    from yiyang.assessments.web.views import trend_chart

    tz = datetime.timezone(datetime.timedelta(hours=8))
    trend = [
        {
            "finalised_at": datetime.datetime(2026, 1, 1, 10, tzinfo=tz),
            "final_level": 1,
            "total": 80,
            "external_id": "a",
        },
        {
            "finalised_at": datetime.datetime(2026, 3, 2, 10, tzinfo=tz),
            "final_level": 2,
            "total": 60,
            "external_id": "b",
        },
    ]
    chart = trend_chart(trend, {1: "轻度", 2: "中度"}, datetime.date(2026, 4, 1))
    assert chart["path"] == "M 170.0 52 H 392.7 V 88 H 504"
    assert [(p["level"], p["name"], p["total"]) for p in chart["points"]] == [
        (1, "轻度", 80),
        (2, "中度", 60),
    ]
    assert trend_chart([], {}, datetime.date(2026, 4, 1))["path"] == ""


@pytest.mark.parametrize(
    "path",
    [
        "/assessments/",
        "/assessments/due/",
        "/assessments/eligibility/",
        "/assessments/eligibility/new/",
        "/assessments/00000000-0000-0000-0000-000000000000/",
        "/assessments/00000000-0000-0000-0000-000000000000/form/",
        "/assessments/00000000-0000-0000-0000-000000000000/report.pdf",
        "/assessments/elders/00000000-0000-0000-0000-000000000000/",
    ],
)
def test_every_page_needs_a_login(path: str, client: Client, db: None) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_elder_page_queries_do_not_grow_with_assessments(
    world: World, elder: Elder, client: Client
) -> None:
    login(client, world.user["community_worker"])
    final(world, elder)
    path = elder_url(elder)
    list_queries(client, path)  # warm the session
    few = list_queries(client, path)
    for _round in range(3):
        final(world, elder)
        services.risk_event_record(
            actor=world.user["community_worker"],
            elder=elder,
            kind="choking",
            occurred_on=timezone.localdate(),
        )
    assert list_queries(client, path) == few
