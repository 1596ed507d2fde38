"""Reliable and clinically significant change, group effects and longitudinal models."""
