"""What the domain models share: the base model, groups of fields that recur (abstract
models) and the declarations of columns that follow one rule wherever they stand (functions
that return the field, for columns whose name differs per model).

Each rule of a column is written here once: a division code's length, how a record keeps who
acted on it, a coordinate's precision, a copied username's length, a lifecycle status. A field
keeps the options its migrations recorded; changing one here changes the schema of every
model that uses it (``makemigrations --check`` says which).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, overload

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.clock import ClockDateTimeField

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import StrOrPromise

    # The types django-stubs gives such a field declared in place: (set, get).
    Text = models.CharField[str | int | Combinable, str]
    Degrees = models.DecimalField[str | float | Decimal | Combinable, Decimal]
    OptionalDegrees = models.DecimalField[str | float | Decimal | Combinable | None, Decimal | None]

_M = TypeVar("_M", bound=models.Model)

USER = settings.AUTH_USER_MODEL
# GB/T 2260 (6 digits) and the street and community digits below it.
DIVISION_CODE_LENGTH = 12
# Django's limit of a username: a copy kept beside a link to the user always fits.
USERNAME_LENGTH = 150


def public_id(
    verbose_name: StrOrPromise | None = None,
) -> models.UUIDField[str | uuid.UUID, uuid.UUID]:
    """The UUID a record is known by outside (URLs, the API, exports, MQTT topics)."""
    return models.UUIDField(verbose_name, default=uuid.uuid4, unique=True, editable=False)


class BaseModel(models.Model):
    """Every domain record: an integer key inside, a UUID outside, and timestamps."""

    external_id = public_id(_("external id"))
    created_at = ClockDateTimeField(_("created at"), auto_now_add=True)
    updated_at = ClockDateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


def division_code_field(verbose_name: StrOrPromise | None = None, **options: Any) -> Text:
    """A division's code, or the leading digits all divisions below one share."""
    return models.CharField(verbose_name, max_length=DIVISION_CODE_LENGTH, **options)


def scope_code(*, db_index: bool = False) -> Text:
    """The code of the division a record belongs to, copied from its place when it is
    written (never edited), so that jurisdiction scope is one indexed prefix match."""
    return division_code_field(db_index=db_index, editable=False)


def coordinate(verbose_name: StrOrPromise | None = None) -> Degrees:
    """A latitude or longitude in degrees, to six decimals (about 0.1 m)."""
    return models.DecimalField(verbose_name, max_digits=9, decimal_places=6)


def optional_coordinate(verbose_name: StrOrPromise | None = None) -> OptionalDegrees:
    """A latitude or longitude where it may be unknown."""
    return models.DecimalField(verbose_name, max_digits=9, decimal_places=6, null=True, blank=True)


@overload
def optional_link(
    to: type[_M],
    verbose_name: StrOrPromise | None = None,
    *,
    on_delete: Any = models.PROTECT,
    related_name: str = "+",
    **options: Any,
) -> models.ForeignKey[_M | Combinable | None, _M | None]: ...


@overload
def optional_link(
    to: str,
    verbose_name: StrOrPromise | None = None,
    *,
    on_delete: Any = models.PROTECT,
    related_name: str = "+",
    **options: Any,
) -> models.ForeignKey[Any, Any]: ...


def optional_link(
    to: type[models.Model] | str,
    verbose_name: StrOrPromise | None = None,
    *,
    on_delete: Any = models.PROTECT,
    related_name: str = "+",
    **options: Any,
) -> models.ForeignKey[Any, Any]:
    """A link a record may lack (null in the database, blank in forms); the linked record
    cannot be deleted while linked unless ``on_delete`` says otherwise."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=on_delete,
        related_name=related_name,
        **options,
    )


def acting_user(
    verbose_name: StrOrPromise | None = None, *, blank: bool = False
) -> models.ForeignKey[Any, Any]:
    """The user who did something to a record: the record stays when the user is deleted,
    and the user has no accessor back to it."""
    return models.ForeignKey(
        USER,
        verbose_name=verbose_name,
        null=True,
        blank=blank,
        on_delete=models.SET_NULL,
        related_name="+",
    )


def username_copy(verbose_name: StrOrPromise | None = None, *, blank: bool = True) -> Text:
    """The acting user's username as it was: the record still names them once the user
    is renamed or deleted."""
    return models.CharField(verbose_name, max_length=USERNAME_LENGTH, blank=blank)


def choice_field(
    verbose_name: StrOrPromise,
    default: models.TextChoices,
    *,
    max_length: int,
    **options: Any,
) -> Text:
    """A coded value: one of the values of ``default``'s choices, ``default`` unless set."""
    return models.CharField(
        verbose_name,
        max_length=max_length,
        choices=type(default).choices,
        default=default,
        **options,
    )


def status_field(initial: models.TextChoices, *, max_length: int, **options: Any) -> Text:
    """Where a record stands in its lifecycle, starting at ``initial``."""
    return choice_field(_("status"), initial, max_length=max_length, **options)


def progress_percent(done: int, total: int | None, *, finished: bool) -> int:
    """How far a background job is: 100 once finished, at most 99 before."""
    if finished:
        return 100
    if not total:
        return 0
    return min(99, int(100 * done / total))


class Located(models.Model):
    """A place's coordinates, where they are known."""

    lat = optional_coordinate(_("latitude"))
    lng = optional_coordinate(_("longitude"))

    class Meta:
        abstract = True


class RuleInForce(BaseModel):
    """A named rule an administrator edits, in force from a date (until one, if given)
    while it is active; every change is kept in the audit history."""

    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("in force"), default=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class BackgroundJob(BaseModel):
    """A job a worker runs in the background: when it started, when it last showed life
    (a job whose heartbeat stops has lost its worker) and when it finished."""

    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class PhotoFile(BaseModel):
    """A photo re-encoded as JPEG without the camera's EXIF, its size, and who took it.
    Each kind of photo names its own file path (``image``)."""

    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = acting_user()

    class Meta:
        abstract = True
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return str(self.external_id)


class Edition(BaseModel):
    """One edition of a definition kept as data (an instrument, a scheme, a template): a new
    edition is a new row, never an edit; the newest of a code comes first."""

    version = models.CharField(_("version"), max_length=20)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        abstract = True
        ordering = ["code", "-created_at"]
