"""``yiyang remind-certificates``: remind caregivers and employers of certificates expiring
within 30 days (run it daily; each certificate is reminded once per expiry date)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiyang.workforce.services import certificate_reminders_create


class Command(BaseCommand):
    help = "Remind caregivers and employers of certificates expiring within 30 days."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{certificate_reminders_create()} reminders.")
