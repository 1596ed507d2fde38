"""The researcher's workspace for a site's qualitative projects, under ``/qual/``.

Every view starts with ``balm.web.views.qual_access.workspace`` (who may open which page). The
theme board, recurrence table, coder comparison and suggestions (``qual:themes``,
``qual:recurrence``, ``qual:compare``, ``qual:suggestions``, each taking the project id) are
added below the workspace's own pages; the workspace nav links each once its name exists.
"""

from django.urls import include, path

from balm.web.views import qual_codebook, qual_memos, qual_projects, qual_reader, qual_sources

app_name = "qual"

P = "<int:project_id>/"

urlpatterns = [
    path("", qual_projects.project_list, name="projects"),
    path(P, qual_projects.project_home, name="project"),
    # sources: list, search, upload with review before anything is kept
    path(P + "sources/", qual_sources.source_list, name="sources"),
    path(P + "sources/review/", qual_sources.review, name="review"),
    path(P + "sources/<int:source_id>/delete/", qual_sources.delete, name="source-delete"),
    path(P + "sources/<int:source_id>/restore/", qual_sources.restore, name="source-restore"),
    path(
        P + "sources/<int:source_id>/timepoint/",
        qual_sources.set_timepoint,
        name="source-timepoint",
    ),
    # the reader: coding and exploratory notes
    path(P + "sources/<int:source_id>/", qual_reader.reader, name="reader"),
    path(P + "sources/<int:source_id>/codings/", qual_reader.coding_add, name="coding-add"),
    path(P + "codings/<int:coding_id>/remove/", qual_reader.coding_remove, name="coding-remove"),
    path(P + "codings/<int:coding_id>/resize/", qual_reader.coding_resize, name="coding-resize"),
    path(P + "codings/<int:coding_id>/restore/", qual_reader.coding_restore, name="coding-restore"),
    path(P + "sources/<int:source_id>/notes/", qual_reader.note_add, name="note-add"),
    path(P + "notes/<int:note_id>/delete/", qual_reader.note_delete, name="note-delete"),
    path(P + "notes/<int:note_id>/statement/", qual_reader.note_statement, name="note-statement"),
    # codebook
    path(P + "codebook/", qual_codebook.codebook, name="codebook"),
    path(P + "codes.css", qual_codebook.code_colours, name="code-colours"),
    path(P + "codebook/<int:code_id>/", qual_codebook.code_detail, name="code"),
    path(P + "codebook/<int:code_id>/restore/", qual_codebook.code_restore, name="code-restore"),
    path(P + "codebook/undo/<int:event_id>/", qual_codebook.undo, name="code-undo"),
    # memos
    path(P + "memos/", qual_memos.memos, name="memos"),
    # analysis: theme board, recurrence, coders compared, suggestions
    path(P, include("balm.qualitative.urls_analysis")),
]
