from django.urls import path

from yiyang.core.api.routes import collection_routes
from yiyang.meals.api.counter_photo import CounterPhotoView
from yiyang.meals.api.views import (
    BookingViewSet,
    CanteenViewSet,
    ServedMealViewSet,
    StandingOrderViewSet,
)

urlpatterns = [
    path(
        "meals/canteens/<uuid:id>/elders/<uuid:elder>/photo/",
        CounterPhotoView.as_view(),
        name="meal-counter-photo",
    ),
    *collection_routes(
        ("canteens", CanteenViewSet, "canteen"),
        ("served", ServedMealViewSet, "served"),
        ("bookings", BookingViewSet, "booking"),
        ("standing-orders", StandingOrderViewSet, "standing-order"),
        prefix="meals/",
        name="meal",
    ),
]
