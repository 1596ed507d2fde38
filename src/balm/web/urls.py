"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from balm.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("p/<str:token>/", views.open_link, name="participant-link"),
    path("me/", views.my_questionnaires, name="my-questionnaires"),
    path("me/checkin/", views.checkin, name="checkin"),
    path("me/q/<int:assessment_id>/", views.questionnaire, name="questionnaire"),
    path("me/done/<int:assessment_id>/", views.questionnaire_done, name="questionnaire-done"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
