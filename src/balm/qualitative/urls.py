"""Placeholder until the workspace skeleton (branch qualweb) is merged: only the analysis
pages, under /qual/<project_id>/."""

from django.urls import include, path

app_name = "qual"

urlpatterns = [
    path("<int:project_id>/", include("balm.qualitative.urls_analysis")),
]
