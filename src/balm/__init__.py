"""balm: deliver and evaluate compassion-focused therapy groups for persistent pain."""

__version__ = "0.1.0"
