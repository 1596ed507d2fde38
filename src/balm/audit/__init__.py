"""The audit trail: every action writes one event."""
