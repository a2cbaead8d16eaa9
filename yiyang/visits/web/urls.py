from django.urls import path

from yiyang.core.web.routes import resource_pages
from yiyang.visits.web import board, orders, views

app_name = "visits"

urlpatterns = [
    path("my-day/", views.my_day_view, name="my-day"),
    path("board/", board.board_view, name="board"),
    path("board/live/", board.board_partial_view, name="board-live"),
    path("review/", views.review_queue_view, name="review-queue"),
    path("orders/", views.order_list_view, name="orders"),
    *resource_pages(orders, "order", "create", prefix="orders/", name="order"),
    path("orders/split/", orders.order_split_view, name="order-split"),
    *resource_pages(views, "order", "detail", "cancel", prefix="orders/", name="order"),
    path("elders/<uuid:external_id>/care/", views.elder_care_view, name="elder-care"),
    path("<uuid:external_id>/", views.visit_view, name="detail"),
    path("<uuid:external_id>/assign/", views.assign_view, name="assign"),
    path("<uuid:external_id>/review/", views.review_view, name="review"),
    *resource_pages(views, "visit", "cancel", "correct"),
]
