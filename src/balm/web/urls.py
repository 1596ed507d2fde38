"""URL configuration."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from balm.api.api import api
from balm.web import views
from balm.web.admin_site import balm_admin
from balm.web.progress import my_progress
from balm.web.views import data_rights, signin
from balm.web.views.audit_trail import audit_trail, audit_trail_csv
from balm.web.views.qual_feedback import programme_feedback
from balm.wording.views import site_questionnaire

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # staff sign-in: the second step, its set-up, the account's security page, locks
    path("account/two-factor/", signin.two_factor, name="two-factor"),
    path("account/two-factor/setup/", signin.two_factor_setup, name="two-factor-setup"),
    path("account/security/", signin.account_security, name="account-security"),
    path("account/recovery-codes/", signin.recovery_codes, name="recovery-codes"),
    path("account/sign-out-everywhere/", signin.sign_out_all, name="sign-out-everywhere"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="balm/password_change.html", success_url="/account/password/done/"
        ),
        name="password-change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="balm/password_changed.html"),
        name="password_change_done",
    ),
    path("account/sign-in-locks/", signin.sign_in_locks_page, name="sign-in-locks"),
    # staff: cohorts, enrolments, sessions, answers entered by staff
    path("cohorts/new/", views.cohort_create, name="cohort-create"),
    path("cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort"),
    path("cohorts/<int:cohort_id>/enrol/", views.enrol_one, name="enrol"),
    path("cohorts/<int:cohort_id>/enrol/csv/", views.enrol_csv, name="enrol-csv"),
    path("enrolments/<int:enrolment_id>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<int:enrolment_id>/record/", views.enrolment_record, name="record"),
    path("enrolments/<int:enrolment_id>/link/", views.enrolment_link, name="enrolment-link"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path(
        "sessions/<int:session_id>/attendance/",
        views.session_attendance,
        name="session-attendance",
    ),
    path("assessments/<int:assessment_id>/paper/", views.paper_entry, name="paper-entry"),
    path(
        "assessments/<int:assessment_id>/outcome/",
        views.assessment_outcome,
        name="assessment-outcome",
    ),
    path("responses/<int:response_id>/", views.amend_response, name="amend-response"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    # a staff member's own API tokens
    path("account/tokens/", views.api_tokens, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    # exports (pseudonymised, audited)
    path("export/cohorts/<int:cohort_id>/scores.csv", views.export_cohort, name="export-cohort"),
    path("export/sites/<int:site_id>/scores.csv", views.export_site, name="export-site"),
    path("export/checkins.csv", views.export_checkins, name="export-checkins"),
    path("export/sessions.csv", views.export_sessions, name="export-sessions"),
    path("export/enrolments.csv", views.export_enrolments, name="export-enrolments"),
    path("export/dictionary.csv", views.export_dictionary, name="export-dictionary"),
    path(
        "export/sites/<int:site_id>/fhir/Questionnaire/<str:instrument_id>.json",
        site_questionnaire,
        name="export-site-questionnaire",
    ),
    # qualitative projects: the researcher's workspace
    path("qual/", include("balm.qualitative.urls")),
    # the evaluation report, live (cohort, site, every site the user may see)
    path("evaluation/", views.evaluation_page, name="evaluation"),
    path("evaluation/behind/", views.evaluation_behind, name="evaluation-behind"),
    path("evaluation/cohort/<int:cohort_id>/", views.evaluation_page, name="evaluation-cohort"),
    path(
        "evaluation/cohort/<int:cohort_id>/behind/",
        views.evaluation_behind,
        name="evaluation-cohort-behind",
    ),
    path("evaluation/site/<int:site_id>/", views.evaluation_page, name="evaluation-site"),
    path(
        "evaluation/site/<int:site_id>/behind/",
        views.evaluation_behind,
        name="evaluation-site-behind",
    ),
    # participants
    path("p/<str:token>/", views.open_link, name="participant-link"),
    path("me/", views.my_questionnaires, name="my-questionnaires"),
    path("me/forget/", views.forget_device, name="forget-device"),
    path("me/checkin/", views.checkin, name="checkin"),
    path("me/q/<int:assessment_id>/", views.questionnaire, name="questionnaire"),
    path("me/done/<int:assessment_id>/", views.questionnaire_done, name="questionnaire-done"),
    path("me/progress/", my_progress, name="my-progress"),
    path("me/progress/my-data/", data_rights.my_data, name="my-data"),
    path("me/progress/my-data.json", data_rights.my_data_json, name="my-data-json"),
    # administrators: the audit trail of their sites, erasure on request
    path("audit/", audit_trail, name="audit-trail"),
    path("audit/events.csv", audit_trail_csv, name="audit-trail-csv"),
    path("participants/<int:participant_id>/erase/", data_rights.erase, name="erase-participant"),
    path("me/feedback/", programme_feedback, name="programme-feedback"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", balm_admin.urls),
]
