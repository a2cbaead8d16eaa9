"""Demo home care: the city's service list, three providers with their offerings, areas and
caregivers, care plans and one-off orders, and a month of visit history, so that the
dispatch board, the caregiver's phone, the review queue and the family page show life on the
first start.

Set-up (service list, offerings, areas, caregivers, certificates, the family link and its
consent) goes through the services, audited. The orders and visits of the past cannot (an
order cannot start in the past), so they are written in bulk, as the services would have
left them: statuses, lateness, check-in and check-out with the phone's position and its
distance from the elder's address, flags raised by the same rules (``yiyang.visits.rules``)
with the same details, reviews, ratings and a complaint. Deterministic for a seed and a day.
"""

from yiyang.demo.visits.build import CITY_CODE, HISTORY_DAYS, DemoVisits, demo_visits_build

__all__ = ["CITY_CODE", "HISTORY_DAYS", "DemoVisits", "demo_visits_build"]
