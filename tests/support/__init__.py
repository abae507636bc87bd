"""Code the tests share: builders, the test config, the feed validator, a live server, a hub.

Its modules' asserts are rewritten by pytest, as a test module's are, so a
failing check in a helper explains itself.
"""

import pkgutil

import pytest

pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
