from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.accounts.models import User
from yiyang.core.permissions import Actor, Role
from yiyang.core.selectors import division_queryset
from yiyang.core.web.forms import ServiceValidatedModelForm, limit_choices
from yiyang.organisations.selectors import organisation_queryset


class OTPForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\d{6}$",
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
    )


class UserForm(ServiceValidatedModelForm):
    """Parses the fields; the user services validate roles, scope and passwords."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 10 characters, not common, not all digits. "
            "Leave empty to keep the current password."
        ),
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "role", "division", "organisation", "is_active"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = Role.choices
        # Only places inside the administrator's jurisdiction are offered.
        limit_choices(self, "division", division_queryset(actor=actor))
        limit_choices(self, "organisation", organisation_queryset(actor=actor))
        if self.instance.pk is None:
            self.fields["password"].required = True
            self.fields["password"].help_text = _(
                "At least 10 characters, not common, not all digits."
            )
