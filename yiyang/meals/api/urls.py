from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.meals.api.counter_photo import CounterPhotoView
from yiyang.meals.api.views import (
    BookingViewSet,
    CanteenViewSet,
    ServedMealViewSet,
    StandingOrderViewSet,
)

router = SimpleRouter()
router.register("meals/canteens", CanteenViewSet, basename="meal-canteen")
router.register("meals/served", ServedMealViewSet, basename="meal-served")
router.register("meals/bookings", BookingViewSet, basename="meal-booking")
router.register("meals/standing-orders", StandingOrderViewSet, basename="meal-standing-order")
urlpatterns = [
    path(
        "meals/canteens/<uuid:id>/elders/<uuid:elder>/photo/",
        CounterPhotoView.as_view(),
        name="meal-counter-photo",
    ),
    *router.urls,
]
