"""The settlement pages' own menu: only the pages the reader's role may open."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiyang.core.permissions import Permission, has_perm, request_actor

register = template.Library()

PAGES = (
    ("settlement:statements", _("Statements"), Permission.VIEW_SETTLEMENT),
    ("settlement:contracts", _("Contracts"), Permission.VIEW_SETTLEMENT),
    ("settlement:review", _("Review queue by risk"), Permission.VIEW_RISK),
    ("settlement:budgets", _("Budgets"), Permission.VIEW_BUDGETS),
    ("settlement:releases", _("Payment releases"), Permission.VIEW_RELEASES),
)


@register.simple_tag(takes_context=True)
def settlement_pages(context: Any) -> list[dict[str, str]]:
    actor = request_actor(context["request"])
    return [
        {"url": reverse(name), "label": str(label)}
        for name, label, permission in PAGES
        if has_perm(actor, permission)
    ]
