"""Programme templates, cohorts, enrolments and their history, sessions and attendance."""
