"""The elder registry: one record per person, sensitive fields encrypted at rest.

Encrypted fields hold Fernet tokens (``yiyang.core.crypto``); the ID number and phones are
also kept as keyed hashes (blind index) for exact lookup and as masked text for lists, so
that a list never decrypts anything.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import (
    BackgroundJob,
    Located,
    acting_user,
    choice_field,
    coordinate,
    division_code_field,
    optional_link,
    progress_percent,
    public_id,
    scope_code,
    status_field,
    username_copy,
)
from yiyang.core.models import BaseModel, Division
from yiyang.elders.choices import (
    ETHNICITY_CHOICES,
    AbilityLevel,
    AccessAction,
    ConsentGiver,
    ConsentPurpose,
    DuplicateStatus,
    EconomicStatus,
    ElderStatus,
    ImportStatus,
    InsuranceType,
    LivingArrangement,
    LocationSource,
    MaritalStatus,
    Relation,
    Sex,
)

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

USER = settings.AUTH_USER_MODEL
# Records lists show (the condition of the list indexes; see ``ElderFilterSet``).
LISTED = ~Q(status=ElderStatus.DUPLICATE)


def elder_photo_path(instance: Elder, filename: str) -> str:
    """A new name for each photo (a replaced one is deleted, never overwritten in place)."""
    return f"elders/photos/{instance.external_id}-{uuid.uuid4().hex[:12]}.bin"


class SealedPhones(models.Model):
    """A person's phone numbers: encrypted at rest, masked for lists and pages."""

    phones_ciphertext = models.TextField(blank=True, editable=False)
    phones_masked = models.CharField(_("phone numbers"), max_length=120, blank=True)

    class Meta:
        abstract = True


class Elder(BaseModel, SealedPhones, Located):
    # Encrypted columns, re-encrypted by `yiyang rotate-field-keys`.
    SEALED_FIELDS = (
        "id_number_ciphertext",
        "phones_ciphertext",
        "insurance_number_ciphertext",
        "health_ciphertext",
    )

    name = models.CharField(_("name"), max_length=50)
    # Pinyin initials of the name (张三丰 -> ZSF), for search by initials.
    name_initials = models.CharField(_("pinyin initials"), max_length=20, db_index=True)
    id_number_ciphertext = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(
        _("ethnicity"), max_length=2, choices=ETHNICITY_CHOICES, blank=True
    )
    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="elders"
    )
    division_code = scope_code()  # the community's
    address = models.CharField(_("address"), max_length=200, blank=True)
    location_source = choice_field(_("location source"), LocationSource.NONE, max_length=16)
    living_arrangement = models.CharField(
        _("living arrangement"), max_length=16, choices=LivingArrangement.choices, blank=True
    )
    marital_status = models.CharField(
        _("marital status"), max_length=16, choices=MaritalStatus.choices, blank=True
    )
    economic_status = choice_field(_("economic status"), EconomicStatus.NONE, max_length=16)
    insurance_type = models.CharField(
        _("medical insurance"), max_length=16, choices=InsuranceType.choices, blank=True
    )
    insurance_number_ciphertext = models.TextField(blank=True, editable=False)
    # Chronic conditions, disability certificate and family-doctor contract, as encrypted JSON.
    health_ciphertext = models.TextField(blank=True, editable=False)
    ability_level = models.CharField(
        _("ability level"), max_length=16, choices=AbilityLevel.choices, blank=True
    )
    status = status_field(ElderStatus.ACTIVE, max_length=16)
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    # Same community, birth date and name: the key of the near-duplicate check (one indexed
    # IN query per import chunk instead of a three-column match).
    duplicate_key = models.CharField(max_length=16, db_index=True, editable=False, default="")
    # Keyed fingerprint of the spreadsheet row last imported into this record.
    import_digest = models.CharField(max_length=32, blank=True, editable=False, default="")
    duplicate_of = optional_link("self", _("duplicate of"))
    # An optional photo (the meal card, the counter): a JPEG sealed as a Fernet token in
    # private storage, never under a public URL; served by a scoped view that logs each
    # view to the access log (``yiyang.elders.photos``).
    photo = models.FileField(_("photo"), upload_to=elder_photo_path, blank=True, editable=False)

    class Meta:
        ordering = ["division_code", "name", "id"]
        verbose_name = _("elder")
        verbose_name_plural = _("elders")
        indexes = [
            models.Index(fields=["division_code", "name", "id"], name="elder_division_name"),
            models.Index(fields=["division_code", "birth_date"], name="elder_division_birth"),
            models.Index(fields=["name"], name="elder_name"),
            # The list's filters at city scale (900,000 elders): each index leads with the
            # filtered column and carries the list's order, so a page reads its rows in order
            # and a page count is an index-only scan. Birth date last: an age filter combined
            # with them is checked inside the index. Partial: lists leave out records marked
            # duplicate unless a status filter asks for them.
            models.Index(
                fields=["living_arrangement", "division_code", "name", "id", "birth_date"],
                name="elder_list_living",
                condition=LISTED,
            ),
            models.Index(
                fields=["economic_status", "division_code", "name", "id", "birth_date"],
                name="elder_list_economic",
                condition=LISTED,
            ),
            models.Index(
                fields=["birth_date", "division_code", "status"],
                name="elder_list_birth",
                condition=LISTED,
            ),
            models.Index(
                fields=["division_code", "name", "id", "birth_date"],
                name="elder_list_order",
                condition=LISTED,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"


def elder_link(related_name: str) -> models.ForeignKey[Elder | Combinable, Elder]:
    """The elder a record is about; kept while records point at them."""
    return models.ForeignKey(
        Elder, verbose_name=_("elder"), on_delete=models.PROTECT, related_name=related_name
    )


class ElderLookup(models.Model):
    """Blind-index entries for exact lookup by phone (the elder's and their contacts')."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        CONTACT_PHONE = "contact_phone", _("Contact's phone")

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="lookups")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value_hash = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "kind", "value_hash"], name="elder_lookup_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.kind}"


class ElderContact(BaseModel, SealedPhones):
    """An emergency contact; exactly one per elder may be marked first to call."""

    SEALED_FIELDS = ("phones_ciphertext",)

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    is_first_to_call = models.BooleanField(_("first to call"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["elder", "-is_first_to_call", "position", "id"]
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["elder"],
                condition=Q(is_first_to_call=True, is_active=True),
                name="elder_one_first_contact",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"


class Consent(BaseModel):
    """What the elder or their guardian agreed to share, with whom, when; withdrawable."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    recipient = models.CharField(_("shared with"), max_length=120, blank=True)
    given_by = models.CharField(_("given by"), max_length=16, choices=ConsentGiver.choices)
    guardian_name = models.CharField(_("guardian's name"), max_length=50, blank=True)
    given_on = models.DateField(_("given on"))
    evidence = models.CharField(_("evidence"), max_length=200, blank=True)
    recorded_by = acting_user(_("recorded by"))
    recorded_by_username = username_copy()
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = acting_user(_("withdrawn by"), blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=200, blank=True)

    class Meta:
        ordering = ["elder", "-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.elder_id} {self.purpose} {self.given_on}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class FamilyMember(BaseModel):
    """A login of a family member (or of the elder) linked to an elder. What it may see of
    the elder's care still needs the elder's recorded family-view consent."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="family_links")
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="family_members")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    is_active = models.BooleanField(_("active"), default=True)
    linked_by = acting_user()

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        constraints = [
            models.UniqueConstraint(fields=("user", "elder"), name="one_family_link_per_elder")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.elder_id}"


class DuplicateCandidate(BaseModel):
    """Two records that may be one person (same name and birth date in the same community,
    different ID numbers). Reviewed by a person, never merged silently."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    other = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    division_code = division_code_field(db_index=True)
    status = status_field(DuplicateStatus.OPEN, max_length=20)
    reviewed_by = acting_user(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["elder", "other"], name="duplicate_pair_once")
        ]


class AccessLog(models.Model):
    """Each unmasked view or export of an elder's sensitive fields: who, when, which elders,
    which fields, from where. Retained, never pruned by default (PIPL Arts. 55-56)."""

    external_id = public_id()
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = acting_user(_("user"))
    actor_username = username_copy(_("username"), blank=False)
    actor_role = models.CharField(_("role"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AccessAction.choices)
    fields = models.JSONField(_("fields"), default=list)
    elder_count = models.PositiveIntegerField(_("elders"), default=1)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    elders: models.ManyToManyField[Elder, AccessLogEntry] = models.ManyToManyField(
        Elder, through="AccessLogEntry", related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["actor_username", "at"], name="access_actor_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"


class AccessLogEntry(models.Model):
    log = models.ForeignKey(AccessLog, on_delete=models.PROTECT, related_name="entries")
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    # The elder's division when accessed: scopes the log for district auditors.
    division_code = division_code_field()

    class Meta:
        indexes = [
            models.Index(fields=["elder", "log"], name="access_entry_elder"),
            models.Index(fields=["division_code", "log"], name="access_entry_division"),
        ]

    def __str__(self) -> str:
        return f"{self.log_id} {self.elder_id}"


class ImportJob(BackgroundJob):
    """One spreadsheet import: its file (encrypted at rest), progress and outcome."""

    SEALED_FIELDS = ("errors_ciphertext",)

    created_by = acting_user()
    created_by_username = username_copy()
    filename = models.CharField(_("file"), max_length=200)
    file = models.FileField(upload_to="imports/", blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = status_field(ImportStatus.PENDING, max_length=16)
    total_rows = models.PositiveIntegerField(null=True, blank=True)  # an estimate until done
    processed_rows = models.PositiveIntegerField(default=0)
    # The last sheet row whose chunk is committed: a re-run after a crash resumes after it.
    resume_after_row = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    duplicate_count = models.PositiveIntegerField(_("possible duplicates"), default=0)
    message = models.TextField(_("message"), blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # The rejected rows (row, column, value, reason), encrypted: values may be ID numbers.
    errors_ciphertext = models.TextField(blank=True, editable=False)

    class Meta(BackgroundJob.Meta):
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename  # the status is a code: pages show get_status_display()

    @property
    def is_stalled(self) -> bool:
        """Running, but no chunk committed for a while: its worker died (it can resume)."""
        from datetime import timedelta

        from django.utils import timezone

        if self.status not in ("pending", "running") or self.heartbeat_at is None:
            return (
                self.status == "pending"
                and self.created_at is not None
                and (timezone.now() - self.created_at > timedelta(minutes=5))
            )
        return timezone.now() - self.heartbeat_at > timedelta(minutes=5)

    @property
    def percent(self) -> int:
        finished = self.status in (ImportStatus.DONE, ImportStatus.FAILED)
        return progress_percent(self.processed_rows, self.total_rows, finished=finished)


class AddressPoint(BaseModel):
    """One address of the city's address register (地址库): a building, a courtyard or a
    village group of a community, with its coordinates. Elders' addresses are located by
    matching them against it (``yiyang.elders.geocoding``)."""

    community = models.ForeignKey(
        Division,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="address_points",
    )
    division_code = scope_code(db_index=True)  # the community's
    address = models.CharField(_("address"), max_length=200)
    # The address normalised and without the names of its divisions (the match key).
    key = models.CharField(max_length=200, editable=False)
    lat = coordinate(_("latitude"))
    lng = coordinate(_("longitude"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["division_code", "key"]
        verbose_name = _("registered address")
        verbose_name_plural = _("address register")
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="address_point_unique")
        ]
        indexes = [models.Index(fields=["key"], name="address_point_key")]

    def __str__(self) -> str:
        return self.address
