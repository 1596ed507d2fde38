"""Assessments, responses (raw answers, scores, versions), amendments, drafts, check-ins,
safety alerts and the reminder tasks."""
