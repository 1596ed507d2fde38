"""The YAML loader for balm's own data files (instruments, the demo interview set).

libyaml's safe loader when PyYAML was built with it, else the pure-Python one: the same
documents, about ten times faster to read (the demo's interview set took 0.5 s of the demo's
load with the pure loader). Files a user gives (templates, wording, REDCap dictionaries) keep
``yaml.safe_load``, whose error messages their checks quote.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(stream: str | IO[str]) -> Any:
    """The one YAML document in ``stream``, read with :data:`SAFE_LOADER` (safe tags only)."""
    return yaml.load(stream, Loader=SAFE_LOADER)
