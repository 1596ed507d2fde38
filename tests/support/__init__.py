"""Test support: a throwaway PostgreSQL cluster runner (``python -m tests.support.pgcluster``)."""
