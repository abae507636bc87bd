"""The soak (``make soak``): two workers under load and trouble, then a check of what was kept.

``python -m tests.soak`` runs ``nashra serve --workers 2`` for ``SOAK_SECONDS``
(120 by default) on a temporary store while readers poll every feed with
conditional requests, a CMS writes through the API, ``nashra import`` runs
once, a worker is killed with SIGKILL now and then and the WebSub hub goes
down for a stretch; at the end it checks that every acknowledged write is
served, every feed is valid, no request failed away from a kill, the hub
heard of the changes made while it was down, and memory stayed flat. It is
not part of ``make test``, which runs only the tests of its parts
(``tests/test_soak.py``): even a 10 s soak takes 17 s and both cores.
"""
