from django.urls import path

from yiyang.visits.web import board, orders, views

app_name = "visits"

urlpatterns = [
    path("my-day/", views.my_day_view, name="my-day"),
    path("board/", board.board_view, name="board"),
    path("board/live/", board.board_partial_view, name="board-live"),
    path("review/", views.review_queue_view, name="review-queue"),
    path("orders/", views.order_list_view, name="orders"),
    path("orders/new/", orders.order_create_view, name="order-create"),
    path("orders/split/", orders.order_split_view, name="order-split"),
    path("orders/<uuid:external_id>/", views.order_detail_view, name="order-detail"),
    path("orders/<uuid:external_id>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("elders/<uuid:external_id>/care/", views.elder_care_view, name="elder-care"),
    path("<uuid:external_id>/", views.visit_view, name="detail"),
    path("<uuid:external_id>/assign/", views.assign_view, name="assign"),
    path("<uuid:external_id>/review/", views.review_view, name="review"),
    path("<uuid:external_id>/cancel/", views.visit_cancel_view, name="cancel"),
    path("<uuid:external_id>/correct/", views.visit_correct_view, name="correct"),
]
