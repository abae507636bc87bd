"""The ``nashra`` command run in-process, as the ``nashra`` and ``import_records`` fixtures do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Run:
    """What one ``nashra`` command did."""

    code: int
    out: str
    err: str


#: the ``nashra`` fixture: ``nashra("import", path, "--skip-invalid")``
Nashra = Callable[..., Run]
#: the ``import_records`` fixture: ``import_records([record(1), "raw line"], *options)``
ImportRecords = Callable[..., Run]
