"""nashra's version, read from the installed package's metadata.

``pyproject.toml`` is the one place the version is written; a constant here
would drift from it. nashra always runs installed (``make`` installs it
editable), so the metadata is there; if it is not, the import fails loudly
rather than report a made-up version.
"""

from __future__ import annotations

from importlib.metadata import version

__version__: str = version("nashra")
