from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "yiyang.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        # Complaints made on the family page enter the city's register (visits sits below
        # this app in the chain, so it offers a hook and this app fills it).
        from yiyang.supervision.services import complaints
        from yiyang.visits.services import feedback

        feedback.COMPLAINT_INTAKE.append(complaints.complaint_from_visit_complaint)
        feedback.COMPLAINT_ANSWERED.append(complaints.complaint_answered_on_visit_complaint)
