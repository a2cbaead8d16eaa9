from django.urls import path

from yiyang.settlement.web import attachments, setup, views

app_name = "settlement"
urlpatterns = [
    path("", views.statement_list_view, name="statements"),
    path("statements/<str:external_id>/", views.statement_detail_view, name="statement"),
    path("statements/<str:external_id>/xlsx/", views.statement_xlsx_view, name="statement-xlsx"),
    path("statements/<str:external_id>/pdf/", views.statement_pdf_view, name="statement-pdf"),
    path(
        "statements/<str:external_id>/<str:step>/", views.statement_step_view, name="statement-step"
    ),
    path("lines/<str:external_id>/<str:step>/", views.line_action_view, name="line-action"),
    path("review/", views.review_queue_view, name="review"),
    path("bill/", views.family_bill_view, name="bill"),
    path("budgets/", views.budget_list_view, name="budgets"),
    path("budgets/new/", setup.budget_create_view, name="budget-create"),
    path("budgets/<str:external_id>/allocate/", setup.allocation_view, name="allocation"),
    path("contracts/", views.contract_list_view, name="contracts"),
    path("contracts/new/", setup.contract_create_view, name="contract-create"),
    path("contracts/<str:external_id>/edit/", setup.contract_edit_view, name="contract-edit"),
    path(
        "contracts/<str:external_id>/documents/",
        attachments.contract_documents_view,
        name="contract-documents",
    ),
    path(
        "contract-documents/<str:external_id>/",
        attachments.contract_document_view,
        name="contract-document",
    ),
    path(
        "contract-documents/<str:external_id>/delete/",
        attachments.contract_document_delete_view,
        name="contract-document-delete",
    ),
    path("releases/", views.release_list_view, name="releases"),
    path("releases/new/", views.release_create_view, name="release-create"),
    path("releases/<str:external_id>/paid/", views.release_paid_view, name="release-paid"),
    path("releases/<str:external_id>/payment-file/", views.payment_file_view, name="payment-file"),
]
