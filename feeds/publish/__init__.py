"""``nashra publish``: the feeds as static files, for a site with no application server."""
