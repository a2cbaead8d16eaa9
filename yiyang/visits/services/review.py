"""After the visit: explanations, review, corrections with attestation, photos."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core import clock
from yiyang.core.choices import AuditAction
from yiyang.core.images import photo_normalise
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import required_text
from yiyang.visits.choices import (
    OPEN_STATUSES,
    FlagCode,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
)
from yiyang.visits.lifecycle import (
    VisitAction,
    visit_action_check,
)
from yiyang.visits.models import (
    Visit,
    VisitFlag,
    VisitPhoto,
    VisitReview,
)
from yiyang.visits.rules import (
    single_visit_flags,
)
from yiyang.visits.services import transitions
from yiyang.visits.services.common import (
    _audit,
    _event,
    _locked,
    _user,
)
from yiyang.visits.services.verification import (
    _raise_flags,
    _require_performer,
    visit_facts,
)


@transaction.atomic
def visit_flag_explain(*, actor: Actor, visit: Visit, code: str, explanation: str) -> VisitFlag:
    """The caregiver explains a flag (a weak GPS fix indoors, the elder met at the clinic)."""
    _require_performer(actor, visit)
    explanation = required_text(explanation, "explanation", _("Write the explanation."))
    flag = VisitFlag.objects.filter(visit=visit, code=code).first()
    if flag is None:
        raise ValidationError({"code": _("This visit has no flag %(code)s.") % {"code": code}})
    flag.explanation = explanation[:500]
    flag.save(update_fields=["explanation"])
    return flag


@transaction.atomic
def visit_review(*, actor: Actor, visit: Visit, decision: str, reason: str) -> Visit:
    """A provider manager or a street officer accepts or rejects a flagged visit. Only an
    accepted visit counts as delivered."""
    require_perm(actor, Permission.REVIEW_VISITS)
    visit = _locked(visit)
    if not actor.scope.covers(division_code=visit.division_code, organisation_id=visit.provider_id):
        raise PermissionDenied("visit")
    errors: dict[str, str] = {}
    if decision not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
        errors["decision"] = _("Accept or reject.")
    if not str(reason or "").strip():
        errors["reason"] = _("Give the reason for the decision.")
    if visit.review_status != ReviewStatus.PENDING:
        errors["visit"] = _("This visit is not awaiting review.")
    if errors:
        raise ValidationError(errors)
    changes = transitions.review(visit, decision, reason, clock.now())
    visit.save(update_fields=transitions.REVIEW_FIELDS)
    VisitReview.objects.create(
        visit=visit,
        decision=decision,
        reason=str(reason).strip()[:300],
        reviewer=_user(actor),
        reviewer_username=actor.username,
    )
    _audit(actor, AuditAction.REVIEW, visit, visit.division_code, changes)
    return visit


@transaction.atomic
def visit_correct(
    *,
    actor: Actor,
    visit: Visit,
    check_in_at: datetime.datetime | None,
    check_out_at: datetime.datetime | None,
    reason: str,
    attestation: bool,
) -> Visit:
    """A manual correction after the fact (a phone that died): kept with its history and the
    editor's attestation, and flagged ``edited`` for review."""
    require_perm(actor, Permission.CORRECT_VISITS)
    visit = _locked(visit)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CORRECT)
    errors: dict[str, str] = {}
    if not attestation:
        errors["attestation"] = _("Confirm that the corrected times are true to your knowledge.")
    if not str(reason or "").strip():
        errors["reason"] = _("Say why the record is corrected.")
    if check_in_at is None or check_out_at is None:
        errors["check_in_at"] = _("Give both the check-in and the check-out time.")
    elif check_out_at <= check_in_at:
        errors["check_out_at"] = _("The check-out must come after the check-in.")
    elif check_out_at > clock.now():
        errors["check_out_at"] = _("The check-out lies in the future.")
    if errors:
        raise ValidationError(errors)
    before = [
        visit.check_in_at.isoformat() if visit.check_in_at else None,
        visit.check_out_at.isoformat() if visit.check_out_at else None,
    ]
    visit.check_in_at, visit.check_out_at = check_in_at, check_out_at
    if visit.status in (*OPEN_STATUSES, VisitStatus.CHECKED_IN, VisitStatus.MISSED):
        visit.status = VisitStatus.CHECKED_OUT
        visit.outcome = visit.outcome or VisitOutcome.DONE
    visit.save()
    after = [check_in_at.isoformat(), check_out_at.isoformat()]  # type: ignore[union-attr]
    _event(
        visit,
        "corrected",
        clock.now(),
        actor,
        None,
        {"before": before, "after": after, "reason": reason, "attested": True},
    )
    detail = _("Corrected by %(user)s: %(reason)s") % {
        "user": actor.username,
        "reason": reason,
    }
    VisitFlag.objects.filter(visit=visit, code=FlagCode.EDITED).delete()
    _raise_flags(
        visit,
        [
            (FlagCode.EDITED, detail),
            *single_visit_flags(
                visit_facts(visit),
                radius_m=settings.VISIT_CHECK_IN_RADIUS_M,
                too_short_percent=settings.VISIT_TOO_SHORT_PERCENT,
            ),
        ],
    )
    if visit.review_status != ReviewStatus.PENDING:
        visit.review_status = ReviewStatus.PENDING
        visit.save(update_fields=["review_status", "updated_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"times": [before, after], "reason": reason, "attestation": True},
    )
    return visit


@transaction.atomic
def visit_photo_add(*, actor: Actor, visit: Visit, data: bytes, caption: str = "") -> VisitPhoto:
    """A photo taken at the visit: checked and re-encoded as JPEG by ``core.images``."""
    _require_performer(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)  # one upload at a time
    visit_action_check(actor=actor, visit=visit, action=VisitAction.PHOTO)
    photo_data = photo_normalise(data, max_bytes=settings.VISIT_PHOTO_MAX_BYTES)
    if visit.photos.count() >= 10:
        raise ValidationError({"photo": _("A visit keeps at most 10 photos.")})
    photo = VisitPhoto(
        visit=visit,
        content_type="image/jpeg",
        size_bytes=len(photo_data.data),
        width=photo_data.width,
        height=photo_data.height,
        uploaded_by=_user(actor),
        caption=str(caption or "")[:200],
    )
    photo.image.save("photo.jpg", ContentFile(photo_data.data), save=False)
    photo.save()
    _event(visit, "photo", clock.now(), actor, None, {"photo": str(photo.external_id)})
    return photo
