from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("guides", views.category_list, name="category_list"),
    path("guides/<str:slug>", views.detail, name="detail"),
    path("guides/<str:slug>/", views.trailing_slash),
]
