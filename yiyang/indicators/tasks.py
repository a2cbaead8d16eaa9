"""Background work of the indicators: taking a month's snapshots in the worker."""

from __future__ import annotations

import datetime
from typing import Any

from django_tasks import task

from yiyang.indicators.services import snapshot_take


@task()
def snapshot_month_task(month: str, rebuild: bool = False) -> dict[str, Any]:
    """Take (or refresh, or rebuild) one month's snapshots; ``month`` is YYYY-MM-DD."""
    return snapshot_take(month=datetime.date.fromisoformat(month), rebuild=rebuild)


def snapshot_month_enqueue(month: datetime.date, *, rebuild: bool = False) -> None:
    snapshot_month_task.enqueue(month.isoformat(), rebuild)
