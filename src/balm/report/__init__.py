"""The evaluation report (not yet built)."""
