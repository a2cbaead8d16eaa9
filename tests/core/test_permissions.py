"""Every permission has a title that pages show in the user's language."""

from __future__ import annotations

from django.utils import translation

from yiyang.core.permissions import PERMISSION_TITLES, Permission


def test_every_permission_has_a_title() -> None:
    assert set(PERMISSION_TITLES) == {permission.name for permission in Permission}


def test_titles_are_translated_into_chinese() -> None:
    with translation.override("zh-hans"):
        untranslated = [
            p.name
            for p in Permission
            if p.title == str(PERMISSION_TITLES[p.name]) and p.title.isascii()
        ]
    assert untranslated == []
