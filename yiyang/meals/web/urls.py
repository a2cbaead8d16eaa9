from django.urls import path

from yiyang.meals.web import views

app_name = "meals"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("counter/", views.counter_view, name="counter"),
    path("book/", views.book_view, name="book"),
    path("deliveries/", views.deliveries_view, name="deliveries"),
    path("cards/", views.cards_view, name="cards"),
    path("cards/<str:id>/print/", views.card_print_view, name="card-print"),
    path("canteens/<str:id>/", views.canteen_view, name="canteen"),
]
