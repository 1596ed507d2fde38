"""The analysis pages of a project's workspace (included by ``balm.qualitative.urls`` under
``/qual/<project_id>/``): theme board, recurrence table and its exports, coders compared,
suggestions."""

from django.urls import path

from balm.web.views import qual_compare, qual_feedback, qual_suggest, qual_themes

urlpatterns = [
    path("themes/", qual_themes.theme_board, name="themes"),
    path("themes/move/", qual_themes.theme_move, name="theme-move"),
    path("themes/new/", qual_themes.theme_create, name="theme-create"),
    path("recurrence/", qual_themes.recurrence_table, name="recurrence"),
    path(
        "recurrence/export.<str:fmt>",
        qual_themes.recurrence_export_view,
        name="recurrence-export",
    ),
]
urlpatterns += [
    path("compare/", qual_compare.compare, name="compare"),
    path("compare/settle/", qual_compare.settle, name="compare-settle"),
    path("suggestions/", qual_suggest.suggestions, name="suggestions"),
    path("suggestions/accept/", qual_suggest.accept_grouping, name="suggest-accept"),
    path("suggestions/like/<uuid:coding_uid>/", qual_suggest.more_like, name="suggest-like"),
    path(
        "suggestions/like/<uuid:coding_uid>/accept/",
        qual_suggest.accept_like,
        name="suggest-like-accept",
    ),
]
urlpatterns += [
    path("session-notes/", qual_feedback.session_notes, name="session-notes"),
]
