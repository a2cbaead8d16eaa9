"""A "where to build next" scenario's map as an image (PNG): what the renderer in
``mapimage`` draws, read from the records and scoped like the scenario's page."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import DivisionBoundary
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.facilities.choices import FacilityKind, FacilityStatus, method_label
from yiyang.facilities.mapimage import Marker, outlines_from_geojson, render_png
from yiyang.facilities.models import Facility, PlanScenario

EXISTING, EXACT, GREEDY = (120, 128, 138), (200, 40, 40), (40, 100, 200)
# Outlines drawn: the scenario's division and the levels below it down to streets (every
# community of a city would only grey the picture).
DRAWN_LEVELS = ("city", "district", "street")


def scenario_map_png(*, actor: Actor, scenario: PlanScenario) -> bytes:
    """The scenario's map: outlines, the open facilities of its kind, the exact choice's
    sites numbered by gain, and the greedy choice's other sites. Audited as an export."""
    require_perm(actor, Permission.EXPORT_DATA)
    division = scenario.division
    boundaries = DivisionBoundary.objects.filter(
        prefix_q("division_code", division.code_prefix), level__in=DRAWN_LEVELS
    ).only("level", "geometry")
    outlines = [outlines_from_geojson(b.level, b.geometry) for b in boundaries]
    existing = Facility.objects.filter(
        prefix_q("division_code", division.code_prefix),
        kind=scenario.kind,
        status=FacilityStatus.OPEN,
        organisation__lat__isnull=False,
    ).values_list("organisation__lat", "organisation__lng")
    markers = [
        Marker(float(lat), float(lng), EXISTING, radius=6)
        for lat, lng in existing
        if lat is not None and lng is not None
    ]
    result = scenario.result or {}
    exact = result.get("exact", {}).get("sites", [])
    chosen = {(s["lat"], s["lng"]) for s in exact}
    markers += [
        Marker(float(s["lat"]), float(s["lng"]), GREEDY, radius=8)
        for s in result.get("greedy", {}).get("sites", [])
        if (s["lat"], s["lng"]) not in chosen
    ]
    markers += [
        Marker(float(s["lat"]), float(s["lng"]), EXACT, label=str(n), radius=14)
        for n, s in enumerate(exact, start=1)
    ]
    kind = FacilityKind(scenario.kind).label
    title = _("Where to build next: %(kind)s, %(division)s") % {
        "kind": kind,
        "division": division.name,
    }
    subtitle = _("%(sites)s new sites · elders newly covered: %(elders)s · %(day)s") % {
        "sites": len(exact),
        "elders": sum(int(s.get("elders", 0)) for s in exact),
        "day": f"{timezone.localdate():%Y-%m-%d}",
    }
    method = _("Walking times by the %(method)s method.") % {
        "method": method_label(result.get("method"))
    }
    legend = [
        (EXACT, _("Exact choice (numbered by the elders each adds)")),
        (GREEDY, _("Greedy choice, where it differs")),
        (EXISTING, _("Open facilities of this kind")),
    ]
    png = render_png(
        title=title,
        subtitle=subtitle,
        outlines=outlines,
        markers=markers,
        legend=legend,
        note=f"{method} {_('Basemap: the division outlines held by the platform.')}",
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=scenario,
        division_code=division.code,
        changes={"format": "png"},
    )
    return png
