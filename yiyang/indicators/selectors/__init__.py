"""Reads of the city's picture, each scoped to the actor: the catalogue, values over months,
the dashboard's figures against targets, and rankings of sub-divisions.

Values come from the monthly snapshots (``IndicatorSnapshot``) where they exist and are
computed live from the records where they do not, so a page never waits on a month nobody
has snapshotted and never shows a number other than the records' own.

The selectors are split by subject; this package re-exports the public ones, so callers
import ``yiyang.indicators.selectors`` as before.
"""

from yiyang.indicators.selectors.catalogue import (
    LEVEL_ORDER,
    Point,
    indicator_catalogue,
    indicator_default_division,
    indicator_division_get,
    indicator_get,
    indicator_values,
    scope_check,
    sub_divisions,
    values_for,
    values_over_months,
)
from yiyang.indicators.selectors.months import (
    current_month,
    month_add,
    month_check,
    month_parse,
    months_between,
)
from yiyang.indicators.selectors.providers import (
    OwnFigure,
    OwnFigures,
    ProviderFigure,
    own_provider_figures,
    provider_indicator_catalogue,
    provider_ranking,
    provider_scope,
    provider_values,
)
from yiyang.indicators.selectors.targets import (
    STATUS_LABELS,
    Figure,
    Status,
    ancestor_codes,
    dashboard_figures,
    division_ranking,
    status_of,
    target_for,
    target_get_for_actor,
    target_list,
    targets_for,
)

__all__ = [
    "LEVEL_ORDER",
    "STATUS_LABELS",
    "Figure",
    "OwnFigure",
    "OwnFigures",
    "Point",
    "ProviderFigure",
    "Status",
    "ancestor_codes",
    "current_month",
    "dashboard_figures",
    "division_ranking",
    "indicator_catalogue",
    "indicator_default_division",
    "indicator_division_get",
    "indicator_get",
    "indicator_values",
    "month_add",
    "month_check",
    "month_parse",
    "months_between",
    "own_provider_figures",
    "provider_indicator_catalogue",
    "provider_ranking",
    "provider_scope",
    "provider_values",
    "scope_check",
    "status_of",
    "sub_divisions",
    "target_for",
    "target_get_for_actor",
    "target_list",
    "targets_for",
    "values_for",
    "values_over_months",
]
