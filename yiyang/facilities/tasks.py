"""Background work of the facility network: recomputing reach and coverage for a division
(started from the coverage page); planning scenarios run through ``planning.scenario_task``."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from yiyang.accounts.models import User
from yiyang.core.models import Division
from yiyang.facilities.services import coverage_compute


@task()
def coverage_task(user_id: int, division_id: int) -> None:
    user = User.objects.get(pk=user_id)
    coverage_compute(actor=user, division=Division.objects.get(pk=division_id))


def coverage_start(*, user: User, division: Division) -> None:
    """Queue a recomputation once the request is committed."""
    transaction.on_commit(lambda: coverage_task.enqueue(user.pk, division.pk))
