"""Qualitative analysis: transcripts, coding, agreement, themes (not yet built)."""
