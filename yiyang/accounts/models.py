from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import optional_link, public_id
from yiyang.core.models import Division
from yiyang.core.permissions import WORKER_ROLES, Role
from yiyang.core.scoping import EMPTY_SCOPE, Scope, linked_elder_ids
from yiyang.organisations.models import Organisation
from yiyang.organisations.selectors import organisation_ids_run_by


class User(AbstractUser):
    """Someone who logs in. Their scope: a division subtree, an organisation, or both."""

    external_id = public_id()
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.FAMILY)
    division = optional_link(Division, _("division"), related_name="users")
    organisation = optional_link(Organisation, _("organisation"), related_name="users")

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def scope(self) -> Scope:
        """Where the user reaches: a family member reaches their linked elders (read each
        time: withdrawn consent closes the view at once); every other role a place."""
        if self.is_active and self.role == Role.FAMILY:
            return Scope(elder_ids=linked_elder_ids(self))
        return self._place_scope

    @cached_property
    def _place_scope(self) -> Scope:
        if not self.is_active:
            return EMPTY_SCOPE
        if self.role == Role.CANTEEN_STAFF:  # their canteen only, not others of its operator
            return Scope(
                division_prefix=None,
                organisation_ids=frozenset([self.organisation_id])
                if self.organisation_id
                else frozenset(),
            )
        return Scope(
            division_prefix=self.division.code_prefix if self.division is not None else None,
            organisation_ids=(
                organisation_ids_run_by(self.organisation_id) if self.organisation_id else None
            ),
            worker_id=self.pk if self.role in WORKER_ROLES else None,
        )


class ApiToken(models.Model):
    """A token for system integrations. Only its SHA-256 is stored."""

    external_id = public_id()
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token {self.external_id} for {self.user_id}"
