"""``yiyang adopt-caregivers``: enter every caregiver registered through the services app
since the roster began (a dispatch profile without an employment) into the roster, with a
person and an open employment from the day it was registered (the rule of migration
``workforce.0002_adopt_caregivers``). Safe to run again: it only adds what is missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiyang.workforce.services import person_adopt_caregivers


class Command(BaseCommand):
    help = "Enter caregivers registered outside the roster into it."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{person_adopt_caregivers()} caregivers entered into the roster.")
