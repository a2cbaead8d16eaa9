"""Template filters over ``yiyang.core.display``: ``{% load display %}`` then
``{{ seconds|seconds }}``, ``{{ amount|money }}``, ``{{ event.data|details }}``,
``{{ list|words }}``, ``{{ n|number }}``, ``{{ pct|percent }}``, ``{% colon %}``."""

from __future__ import annotations

from typing import Any

from django import template

from yiyang.core import display

register = template.Library()


@register.filter
def seconds(value: Any) -> str:
    return display.duration_seconds(value)


@register.filter
def minutes(value: Any) -> str:
    return display.duration_minutes(value)


@register.filter(name="duration")
def duration_filter(value: Any) -> str:
    return display.duration(value)


@register.filter
def money(value: Any) -> str:
    return display.money(value)


@register.filter
def number(value: Any, decimals: Any = None) -> str:
    return display.number(value, None if decimals in (None, "") else int(decimals))


@register.filter
def percent(value: Any) -> str:
    return display.percent(value)


@register.filter
def distance(value: Any) -> str:
    return display.distance(value)


@register.filter
def details(value: Any) -> str:
    return display.details(value) if isinstance(value, dict) else display.display_value(value)


@register.filter
def words(value: Any) -> str:
    if value is None or isinstance(value, str):
        return display.display_value(value)
    return display.words(value)


@register.filter
def model_label(value: Any) -> str:
    return display.model_label(str(value or ""))


@register.filter
def show(value: Any) -> str:
    """Any value as words (— for nothing, a phrase for a list or a mapping)."""
    return display.display_value(value)


@register.simple_tag
def coordinates(lat: Any, lng: Any) -> str:
    return display.coordinates(lat, lng)


@register.simple_tag
def colon() -> str:
    return display.colon()


@register.simple_tag
def audit_changes(event: Any) -> str:
    """An audit event's changes as a sentence, labelled with the model's own field names."""
    return display.audit_changes(event.object_type, event.changes)


@register.filter
def label(code: Any, labels: Any) -> str:
    """A code's word from a mapping the view passes (``{{ n.channel|label:channels }}``)."""
    if code in (None, ""):
        return display.EMPTY
    return str(labels.get(code) or display.choice_label([], code))
