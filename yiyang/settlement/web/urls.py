from django.urls import path

from yiyang.settlement.web import views

app_name = "settlement"
urlpatterns = [
    path("", views.statement_list_view, name="statements"),
    path("statements/<str:external_id>/", views.statement_detail_view, name="statement"),
    path("statements/<str:external_id>/xlsx/", views.statement_xlsx_view, name="statement-xlsx"),
    path(
        "statements/<str:external_id>/<str:step>/", views.statement_step_view, name="statement-step"
    ),
    path("lines/<str:external_id>/<str:step>/", views.line_action_view, name="line-action"),
    path("review/", views.review_queue_view, name="review"),
    path("bill/", views.family_bill_view, name="bill"),
    path("budgets/", views.budget_list_view, name="budgets"),
    path("contracts/", views.contract_list_view, name="contracts"),
    path("releases/", views.release_list_view, name="releases"),
    path("releases/new/", views.release_create_view, name="release-create"),
    path("releases/<str:external_id>/paid/", views.release_paid_view, name="release-paid"),
    path("releases/<str:external_id>/payment-file/", views.payment_file_view, name="payment-file"),
]
