from django.urls import path

from mapping import views

urlpatterns = [
    path("", views.staging, name="staging"),
    path("match/", views.match, name="match"),
    path("match/selected/", views.match_selected, name="match-selected"),
    path("connections/<int:connection_id>/accept-exact/", views.accept_exact, name="accept-exact"),
    path("matchings/", views.matchings, name="matchings"),
    path("matchings/<int:matching_id>/unmatch/", views.unmatch, name="unmatch"),
]
