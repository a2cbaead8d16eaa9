"""Demo home care: the city's service list, three providers with their offerings, areas and
caregivers, care plans and one-off orders, and a month of visit history, so that the
dispatch board, the caregiver's phone, the review queue and the family page show life on the
first start.

Everything goes through the services, audited. The past is replayed with the clock set to
each moment (``yiyang.core.clock``): orders are placed through ``order_place`` a few days
before they start; the caregiver login's month goes call by call through the phone's
services (set off, check in, check out), the monitor (``visits_mark_late``), cancellation,
review and the family's ratings; the rest of the city's month through the bulk form of the
same services (``visits_past_write``, ``visits_review_many``, ``visits_rate_many``), which
shares their transitions, field lists, flag rules and audit helper. The demo only decides
what happened (who was dispatched, where and when the phone was, the reviewers' decisions);
the services decide what that does. Deterministic for a seed and a day.
"""

from yiyang.demo.visits.build import CITY_CODE, HISTORY_DAYS, DemoVisits, demo_visits_build

__all__ = ["CITY_CODE", "HISTORY_DAYS", "DemoVisits", "demo_visits_build"]
