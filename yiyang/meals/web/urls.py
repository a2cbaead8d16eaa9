from django.urls import path

from yiyang.meals.web import counter_photo, staff_views, views

app_name = "meals"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("counter/", views.counter_view, name="counter"),
    path(
        "counter/<uuid:id>/elders/<uuid:elder>/photo/",
        counter_photo.counter_photo_view,
        name="counter-photo",
    ),
    path("book/", views.book_view, name="book"),
    path("bookings/<str:id>/cancel/", views.booking_cancel_view, name="booking-cancel"),
    path("deliveries/", views.deliveries_view, name="deliveries"),
    path("cards/", views.cards_view, name="cards"),
    path("cards/<str:id>/print/", views.card_print_view, name="card-print"),
    path("served/", staff_views.served_view, name="served"),
    path("report/", staff_views.report_view, name="report"),
    path("canteens/<str:id>/menu/", staff_views.menu_edit_view, name="menu"),
    path("canteens/<str:id>/rounds/", staff_views.rounds_view, name="rounds"),
    path("canteens/<str:id>/safety/", staff_views.safety_view, name="safety"),
    path("canteens/<str:id>/edit/", staff_views.canteen_edit_view, name="canteen-edit"),
    path("canteens/<str:id>/", views.canteen_view, name="canteen"),
]
