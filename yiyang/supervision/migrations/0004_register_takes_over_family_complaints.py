"""The register takes the family page's complaints over for good: every visits.Complaint
(all of them were copied into the register by 0002 or by the intake hook since; any
that were not are copied now, answer, status and deadlines included) keeps its old public
id on the register's complaint (``legacy_external_id``, so that old links redirect).
0005 drops the link to the retiring model (a separate transaction: PostgreSQL does not
alter a table with rows written in the same transaction), visits 0004 the old table."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from yiyang.supervision.workdays import add_working_days

STATUS = {"open": "received", "answered": "answered", "closed": "closed"}


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def _calendar(apps):  # type: ignore[no-untyped-def]
    rows = apps.get_model("supervision", "CalendarDay").objects.all()
    if getattr(settings, "SUPERVISION_UNCERTAIN_DAYS", "ignore") != "apply":
        rows = rows.filter(uncertain=False)
    return dict(rows.values_list("date", "kind"))


def _copy(apps, old, calendar):  # type: ignore[no-untyped-def]
    """A register complaint for a family-page complaint the register does not hold."""
    complaint_model = apps.get_model("supervision", "Complaint")
    day = timezone.localdate(old.created_at)
    prefix = f"TS{day:%Y%m%d}"
    n = complaint_model.objects.filter(number__startswith=prefix).count() + 1
    while complaint_model.objects.filter(number=f"{prefix}{n:05d}").exists():
        n += 1
    status = STATUS.get(old.status, "received")
    done = status in ("answered", "closed")
    ack = getattr(settings, "SUPERVISION_ACKNOWLEDGE_WORKING_DAYS", 1)
    answer = getattr(settings, "SUPERVISION_ANSWER_WORKING_DAYS", 15)
    new = complaint_model.objects.create(
        number=f"{prefix}{n:05d}",
        channel="family_page",
        organisation_id=old.provider_id,
        division_code=old.division_code,
        visit_id=old.visit_id,
        legacy_external_id=old.external_id,
        text=old.text,
        status=status,
        received_at=old.created_at,
        made_by_id=old.made_by_id,
        answer=old.answer,
        acknowledge_by=_end_of_day(add_working_days(day, ack, calendar)),
        answer_by=_end_of_day(add_working_days(day, answer, calendar)),
        answered_at=old.updated_at if done else None,
        acknowledged_at=old.updated_at if done else None,
        closed_at=old.updated_at if status == "closed" else None,
    )
    apps.get_model("supervision", "ComplaintEvent").objects.create(
        complaint=new,
        kind="migrated",
        at=old.created_at,
        note=f"visits.Complaint {old.external_id}",
    )


def take_over(apps, schema_editor):  # type: ignore[no-untyped-def]
    legacy_model = apps.get_model("visits", "Complaint")
    complaint_model = apps.get_model("supervision", "Complaint")
    calendar = _calendar(apps)
    for old in legacy_model.objects.order_by("created_at", "id"):
        linked = complaint_model.objects.filter(legacy_id=old.pk).first()
        if linked is None:
            _copy(apps, old, calendar)
            continue
        linked.legacy_external_id = old.external_id
        if not linked.answer and old.answer:  # answered on the old path after the copy
            linked.answer = old.answer
        linked.save(update_fields=["legacy_external_id", "answer"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0003_evidence_photos"), ("visits", "0003_encrypt_visit_notes")]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="legacy_external_id",
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.RunPython(take_over, migrations.RunPython.noop),
    ]
