from rest_framework.routers import SimpleRouter

from yiyang.meals.api.views import BookingViewSet, CanteenViewSet, ServedMealViewSet

router = SimpleRouter()
router.register("meals/canteens", CanteenViewSet, basename="meal-canteen")
router.register("meals/served", ServedMealViewSet, basename="meal-served")
router.register("meals/bookings", BookingViewSet, basename="meal-booking")
urlpatterns = router.urls
