"""Book a day's meals for every standing order in force, by hand (tomorrow by default;
``yiyang run-meal-scheduler`` has the worker do it every day). Idempotent: a second run
books nothing more."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from yiyang.meals.services.standing import standing_day_book


class Command(BaseCommand):
    help = "Book a day's meals from the standing orders (tomorrow by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="YYYY-MM-DD (default: tomorrow)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = (
                datetime.date.fromisoformat(options["day"])
                if options["day"]
                else timezone.localdate() + datetime.timedelta(days=1)
            )
        except ValueError as exc:
            raise CommandError(f"--day: {exc}") from exc
        result = standing_day_book(day=day)
        line = f"{day}: {result['booked']} booked, {result['skipped']} skipped"
        if result["fell_back"]:
            line += f", {result['fell_back']} on the day's default (dish not on the menu)"
        self.stdout.write(line)
