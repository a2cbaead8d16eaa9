"""The assessment page shows a button exactly when the service would accept the action: for
every state of the workflow and every role, the page's buttons (read from the rendered page)
are compared with what the services do when the action is attempted (then rolled back).
One rule decides both (yiyang/assessments/lifecycle.py, docs/adr/0007)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tests.agreement import service_accepts
from tests.assessments.test_pages import elder, url  # noqa: F401 - the fixture
from tests.assessments.test_workflow import mild_answers
from tests.conftest import World
from tests.factories import UserFactory, make_elder
from tests.security.matrix import ROLES
from yiyang.assessments import services
from yiyang.assessments.lifecycle import AssessmentAction, assessment_actions
from yiyang.assessments.models import Assessment, AssessorDeclaration
from yiyang.core.permissions import Role
from yiyang.elders.models import Elder

# The element each button of the page carries.
BUTTON = {
    AssessmentAction.SCHEDULE: 'id="schedule"',
    AssessmentAction.ENTER: 'id="open-form"',
    AssessmentAction.REVIEW: 'id="review"',
    AssessmentAction.CANCEL: 'id="cancel"',
}


def _accepted(world: World, actor, assessment: Assessment, action: AssessmentAction) -> bool:
    """Whether the service takes ``action`` from ``actor`` now (nothing is kept)."""
    calls: dict[AssessmentAction, Callable[[], object]] = {
        AssessmentAction.SCHEDULE: lambda: services.assessment_schedule(
            actor=actor,
            assessment=assessment,
            assessor=world.user["assessor"],
            scheduled_at=timezone.now(),
            place="家中",
        ),
        AssessmentAction.ENTER: lambda: services.assessment_save(
            actor=actor, assessment=assessment, values={"answers": {}}
        ),
        AssessmentAction.REVIEW: lambda: services.assessment_return(
            actor=actor, assessment=assessment, reason="请核对第三项"
        ),
        AssessmentAction.CANCEL: lambda: services.assessment_cancel(
            actor=actor, assessment=assessment, reason="老年人已搬离"
        ),
    }
    return service_accepts(calls[action])


def _states(world: World, related: Elder) -> dict[str, Assessment]:
    """One assessment in each state the page can show, each of another elder (an elder has
    one open assessment at a time); the submitted one is of the elder ``related``."""
    made: dict[str, Assessment] = {}
    assessor = world.user["assessor"]
    names = iter(["甲", "乙", "丙", "丁", "戊", "己"])

    def scheduled(of: Elder | None = None) -> Assessment:
        """A new assessment, requested and scheduled (of a new elder unless one is given)."""
        subject = of or make_elder(world.user["city_admin"], world.div["XA1a"], name=next(names))
        worker = world.user["community_worker"]
        return services.assessment_schedule(
            actor=worker,
            assessment=services.assessment_request(actor=worker, elder=subject, reason="first"),
            assessor=assessor,
            scheduled_at=timezone.now(),
            place="家中",
        )

    def submitted(of: Elder | None = None) -> Assessment:
        return services.assessment_submit(
            actor=assessor, assessment=scheduled(of), values={"answers": mild_answers()}
        )

    made["scheduled"] = scheduled()
    made["in_progress"] = services.assessment_save(
        actor=assessor, assessment=scheduled(), values={"answers": {}}
    )
    made["submitted"] = submitted(related)
    made["returned"] = services.assessment_return(
        actor=world.user["district_officer"], assessment=submitted(), reason="请核对"
    )
    # Cancelled while scheduled, and one only requested (of its own elder).
    made["cancelled"] = services.assessment_cancel(
        actor=world.user["community_worker"], assessment=scheduled(), reason="重复"
    )
    alone = make_elder(world.user["city_admin"], world.div["XA1a"], name=next(names))
    made["requested"] = services.assessment_request(
        actor=world.user["community_worker"], elder=alone, reason="first"
    )
    return made


@pytest.mark.django_db
def test_assessment_buttons_agree_with_the_services_in_every_state_for_every_role(
    world: World,
    elder: Elder,  # noqa: F811
    client_for: Callable[[str], Client],
) -> None:
    # A reviewer who declared a relation to the elder: the page must not offer the review.
    related = UserFactory(
        username="reviewer_related", role=Role.DISTRICT_OFFICER, division=world.div["XA"]
    )
    AssessorDeclaration.objects.create(assessor=related, elder=elder, relation="relative")
    world.user["reviewer_related"] = related
    states = _states(world, elder)
    compared, offered = 0, set()
    for role in [*ROLES, "reviewer_related"]:
        client, actor = client_for(role), world.user[role]
        for state, assessment in states.items():
            assessment.refresh_from_db()
            response = client.get(url(assessment))
            page = response.content.decode() if response.status_code == 200 else ""
            listed = assessment_actions(actor=actor, assessment=assessment)
            for action, marker in BUTTON.items():
                shown = marker in page
                accepted = _accepted(world, actor, assessment, action)
                assert shown == accepted, (role, state, action, shown, accepted)
                assert (action in listed) == accepted, (role, state, action)
                offered |= {action} if shown else set()
                compared += 1
    assert compared == (len(ROLES) + 1) * len(states) * len(BUTTON)
    assert offered == set(AssessmentAction)  # not vacuous: every button shows somewhere
