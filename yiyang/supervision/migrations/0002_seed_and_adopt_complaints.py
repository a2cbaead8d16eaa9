"""Seed data (the GB/T 37276-2018 rating scheme, the inspection checklists, the holiday
calendar) and move the complaints made on the family page (visits.Complaint) into the
city's register, linked one to one, with their answers, statuses and deadlines. The visits
records stay (other work still reads them); nothing is lost either way."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from yiyang.supervision.workdays import add_working_days

SCHEMES = Path(__file__).resolve().parent.parent / "schemes"
STATUS = {"open": "received", "answered": "answered", "closed": "closed"}


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    scheme_model = apps.get_model("supervision", "RatingScheme")
    item_model = apps.get_model("supervision", "RatingItem")
    checklist_model = apps.get_model("supervision", "ChecklistTemplate")
    day_model = apps.get_model("supervision", "CalendarDay")
    d = json.loads((SCHEMES / "gbt37276-2018.json").read_text(encoding="utf-8"))
    scheme = scheme_model.objects.create(
        code=d["code"],
        version=d["version"],
        name=d["name"],
        source=d["source"][:500],
        unverified=d["unverified"],
        organisation_kinds=d["organisation_kinds"],
        parts=d["parts"],
        levels=d["levels"],
    )
    for n, i in enumerate(d["items"]):
        item_model.objects.create(
            scheme=scheme,
            part=i["part"],
            code=i["code"],
            text=i["text"],
            max_points=Decimal(i["max"]),
            evidence_required=bool(i.get("evidence_required")),
            cap_level=i.get("cap_level"),
            cap_below=Decimal(i["cap_below"]) if i.get("cap_below") else None,
            unverified=bool(i.get("unverified")),
            order=n,
        )
    for c in json.loads((SCHEMES / "checklists.json").read_text(encoding="utf-8")):
        checklist_model.objects.create(kind=c["kind"], version=c["version"], items=c["items"])
    calendar = json.loads((SCHEMES / "calendar.json").read_text(encoding="utf-8"))
    day_model.objects.bulk_create(
        day_model(
            date=datetime.date.fromisoformat(x["date"]),
            kind=x["kind"],
            name=x["name"],
            uncertain=bool(x.get("uncertain")),
        )
        for x in calendar["days"]
    )


def adopt_complaints(apps, schema_editor):  # type: ignore[no-untyped-def]
    legacy_model = apps.get_model("visits", "Complaint")
    complaint_model = apps.get_model("supervision", "Complaint")
    event_model = apps.get_model("supervision", "ComplaintEvent")
    day_model = apps.get_model("supervision", "CalendarDay")
    rows = day_model.objects.all()
    if getattr(settings, "SUPERVISION_UNCERTAIN_DAYS", "ignore") != "apply":
        rows = rows.filter(uncertain=False)
    calendar = dict(rows.values_list("date", "kind"))
    ack = getattr(settings, "SUPERVISION_ACKNOWLEDGE_WORKING_DAYS", 1)
    answer = getattr(settings, "SUPERVISION_ANSWER_WORKING_DAYS", 15)
    sequence: dict[str, int] = {}
    for old in legacy_model.objects.order_by("created_at", "id"):
        day = timezone.localdate(old.created_at)
        prefix = f"TS{day:%Y%m%d}"
        sequence[prefix] = sequence.get(prefix, 0) + 1
        status = STATUS.get(old.status, "received")
        new = complaint_model.objects.create(
            number=f"{prefix}{sequence[prefix]:05d}",
            channel="family_page",
            organisation_id=old.provider_id,
            division_code=old.division_code,
            visit_id=old.visit_id,
            legacy_id=old.pk,
            text=old.text,
            status=status,
            received_at=old.created_at,
            made_by_id=old.made_by_id,
            answer=old.answer,
            acknowledge_by=_end_of_day(add_working_days(day, ack, calendar)),
            answer_by=_end_of_day(add_working_days(day, answer, calendar)),
            answered_at=old.updated_at if status in ("answered", "closed") else None,
            acknowledged_at=old.updated_at if status in ("answered", "closed") else None,
            closed_at=old.updated_at if status == "closed" else None,
        )
        event_model.objects.create(
            complaint=new,
            kind="migrated",
            at=old.created_at,
            note=f"visits.Complaint {old.external_id}",
        )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial"), ("visits", "0003_encrypt_visit_notes")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(adopt_complaints, migrations.RunPython.noop),
    ]
