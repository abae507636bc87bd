"""Benchmark of nashra as a whole: import, start-up, cold renders and HTTP load.

Run it with ``make bench`` or ``python -m tests.bench --help``. One module per
job: :mod:`.dataset` (the articles), :mod:`.config` (the TOML file),
:mod:`.ingest` (``nashra import``), :mod:`.server` (``nashra serve``),
:mod:`.client` (one GET), :mod:`.cold` (first renders after a start),
:mod:`.cases` (what the load asks for), :mod:`.load` (wrk or Python, whichever
drives it), :mod:`.wrk`, :mod:`.pyload` and :mod:`.report`.

Nothing here is collected by pytest: no module is named ``test_*``.
"""
