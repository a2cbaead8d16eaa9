"""``yiyang settle --month YYYY-MM [--provider ID]``: the monthly settlement run (the
scheduled job on the 1st runs the same service for the month before)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.organisations.models import Organisation
from yiyang.settlement.services import SettleResult, settle_month


def parse_month(text: str | None) -> datetime.date:
    if not text:
        first = timezone.localdate().replace(day=1)
        return (first - datetime.timedelta(days=1)).replace(day=1)
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"--month must look like 2026-11, not {text!r}.") from exc


class Command(BaseCommand):
    help = "Settle a month: draft statements of every live contract, with held lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the month before this one)")
        parser.add_argument("--provider", help="the provider's id (UUID) to settle alone")

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(options.get("month"))
        provider = None
        if options.get("provider"):
            try:
                provider = Organisation.objects.select_related("division").get(
                    external_id=options["provider"]
                )
            except (Organisation.DoesNotExist, ValidationError, ValueError) as exc:
                raise CommandError(f"No provider with id {options['provider']}.") from exc
        actor = SystemActor(Scope(division_prefix=""), username="settlement")
        results: list[SettleResult | None] = []
        for city in Division.objects.filter(level="city"):
            actor = SystemActor(Scope(division_prefix=city.code_prefix), username="settlement")
            if provider is not None and not provider.division.code.startswith(city.code_prefix):
                continue
            try:
                results.append(settle_month(actor=actor, month=month, provider=provider))
            except ValidationError as exc:
                results.append(None)
                self.stderr.write(f"{city.name}: " + "; ".join(exc.messages))
        for result in results:
            if result is None:
                continue
            self.stdout.write(
                f"{result.month:%Y-%m}: {len(result.statements)} statements, {result.lines} "
                f"lines, {result.held} held, {result.uncovered} visits with allowance outside "
                f"any contract, {len(result.skipped)} statements already past the draft left "
                "unchanged."
            )
        if not any(results):
            raise CommandError("Nothing was settled.")
