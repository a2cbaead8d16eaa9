"""Template filters over ``yiyang.core.display``: ``{% load display %}`` then
``{{ seconds|seconds }}``, ``{{ amount|money }}``, ``{{ event.data|details }}``,
``{{ list|words }}``, ``{{ n|number }}``, ``{{ pct|percent }}``, ``{% colon %}``."""

from __future__ import annotations

from typing import Any

from django import template

from yiyang.core import display

register = template.Library()

# Filters that are a display function as it stands, by the name templates use.
for _name, _function in {
    "seconds": display.duration_seconds,
    "minutes": display.duration_minutes,
    "duration": display.duration,
    "money": display.money,
    "percent": display.percent,
    "distance": display.distance,
}.items():
    register.filter(_name, _function)


@register.filter
def number(value: Any, decimals: Any = None) -> str:
    return display.number(value, None if decimals in (None, "") else int(decimals))


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


@register.simple_tag
def answer_time(raised_at: Any, acknowledged_at: Any) -> str:
    """An alarm's answer time in seconds with its mark against the 60 s and 180 s targets:
    ``<span class="answer ok">41 秒 · 60 秒内</span>``."""
    from django.conf import settings
    from django.utils.html import format_html

    if raised_at is None:
        return display.EMPTY
    seconds = (acknowledged_at - raised_at).total_seconds() if acknowledged_at else None
    css, words = display.answer_mark(
        seconds, settings.ALERT_ANSWER_TARGET_SECONDS, settings.ALERT_ANSWER_LIMIT_SECONDS
    )
    text = display.duration_seconds(seconds) if seconds is not None else display.EMPTY
    return format_html(
        '<span class="answer {}" data-seconds="{}">{} · {}</span>',
        css,
        "" if seconds is None else int(seconds),
        text,
        words,
    )


@register.filter
def seconds_since(then: Any, now: Any) -> str:
    """How long ago, in seconds (a waiting alarm's age: 62 秒, never "1 分钟")."""
    if then is None or now is None:
        return display.EMPTY
    return display.duration_seconds(max(0.0, (now - then).total_seconds()))


@register.filter
def caregiver(value: Any) -> str:
    """A caregiver with what tells namesakes apart (``display.caregiver_name``)."""
    return display.caregiver_name(value)
