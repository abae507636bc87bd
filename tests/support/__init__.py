"""Code the tests share: builders, the feed validator, a live server, a hub stand-in."""
