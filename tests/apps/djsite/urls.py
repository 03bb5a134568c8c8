"""URLs of the corpus's Django site."""

from django.urls import path

from djsite import views

urlpatterns = [
    path("", views.index),
    path("notes", views.notes),
    path("notes/<int:note_id>", views.note),
    path("db-sleep", views.db_sleep),
]
