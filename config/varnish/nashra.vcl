# Varnish 7 in front of nashra: caches feeds until nashra purges them.
#
# Needs Varnish 7 and the xkey vmod (Debian: apt-get install varnish varnish-modules).
# Run it, e.g.:
#   varnishd -a :6081 -f /etc/varnish/nashra.vcl -s malloc,256m
# and list it in nashra's config so every change purges it:
#   [cdn]
#   purge = ["http://127.0.0.1:6081/"]
#
# How it works:
# - nashra names each feed response's surrogate keys in the `xkey` header
#   (`nashra-feed-<feed> nashra-format-<ext> nashra`); the xkey vmod files the
#   object under them.
# - On every change of a feed (a write, an embargo ending, a breaking story
#   expiring) nashra sends `PURGE /` with `xkey-purge: nashra-feed-<feed>`;
#   this VCL drops every object with that key: the feed in every format and
#   encoding, and its page. Only addresses in `acl purgers` may purge.
# - Feeds are kept `s-maxage` seconds ([cdn] s_maxage, hours by default):
#   purges, not expiry, keep them fresh. A stale feed is served while it is
#   refetched only within its `stale-while-revalidate`, and for
#   `stale-if-error` seconds while nashra is down (Varnish's grace, with the
#   health probe telling "down").
# - Compression: a feed URL has two copies, gzip and plain, each as nashra sent
#   it (its own ETag): clients that accept gzip get the first, the others the
#   second, never gunzipped per request. Clients that accept brotli get gzip:
#   never a coding they did not ask for, and one copy fewer.
# - A browser navigating to a feed URL (Sec-Fetch-Dest: document and
#   Sec-Fetch-Mode: navigate) gets nashra's HTML page, which is private: such
#   requests go to nashra uncached. Every other request has those two headers
#   removed, so a feed URL has one cached variant per coding, never a page.
# - Conditional requests (If-None-Match, If-Modified-Since) are answered 304
#   by Varnish from the cached copy's ETag and Last-Modified.
# - /api/ (the publishing API) always goes to nashra, never cached.

vcl 4.1;

import std;
import xkey;

backend nashra {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
    # "down" for grace: 2 of the last 3 looks at /healthz failed
    .probe = {
        .url = "/healthz";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;
    }
}

# Who may purge: nashra's hosts. Add each address nashra runs on.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Missing xkey-purge header"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }
    if (req.url ~ "^/api/" || req.url ~ "^/healthz") {
        return (pass);
    }
    if (req.url ~ "^/feeds/") {
        if (req.http.Sec-Fetch-Dest == "document" && req.http.Sec-Fetch-Mode == "navigate") {
            return (pass);  # a person's browser: the private HTML page
        }
        unset req.http.Sec-Fetch-Dest;
        unset req.http.Sec-Fetch-Mode;
        unset req.http.Cookie;  # feeds use none
    }
    # two copies per URL, gzip and plain (nashra's Vary names Accept-Encoding)
    if (req.http.Accept-Encoding ~ "(?i)\bgzip\b") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
        set req.http.x-nashra-plain = "1";
    }
    # a request that found its copy past stale-while-revalidate (see vcl_hit): no grace
    if (req.http.x-nashra-fresh) {
        set req.grace = 0s;
    }
}

sub vcl_hash {
    # Varnish's gzip support leaves Accept-Encoding out of Vary: the copy is
    # told by its hash (the builtin vcl_hash then adds the URL and host)
    if (req.http.x-nashra-plain) {
        hash_data("plain");
    }
}

sub vcl_hit {
    # Past its ttl, a copy is served while it is refetched only within the
    # response's stale-while-revalidate (nashra leaves it out when the feed
    # changes by itself at the end of its lifetime). Beyond that, and while
    # nashra is up, look up again without grace: a miss, fetched and stored.
    # While nashra is down, the whole grace (stale-if-error) applies.
    if (obj.ttl < 0s && req.restarts == 0 && std.healthy(req.backend_hint)
        && obj.ttl + std.duration(obj.http.x-nashra-swr, 0s) <= 0s) {
        set req.http.x-nashra-fresh = "1";
        return (restart);
    }
}

sub vcl_backend_fetch {
    unset bereq.http.x-nashra-fresh;
    # Varnish asks for gzip whatever the client said; ask for what the client
    # takes, so the plain copy is stored plain rather than gunzipped on every hit
    if (bereq.http.x-nashra-plain) {
        unset bereq.http.Accept-Encoding;
    }
    unset bereq.http.x-nashra-plain;
}

sub vcl_backend_response {
    if (beresp.http.Last-Modified && beresp.http.Last-Modified == beresp.http.Date) {
        # made in the second of a change, whose Last-Modified nashra gives as
        # the next second once this one has passed (so If-Modified-Since never
        # hides a second change in the same second): keep it one second only
        set beresp.ttl = 1s;
    }
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.http.x-nashra-swr = regsub(beresp.http.Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1s");
    } else {
        set beresp.http.x-nashra-swr = "0s";
    }
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control,
            "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
    } else {
        set beresp.grace = std.duration(beresp.http.x-nashra-swr, 0s);
    }
}

sub vcl_deliver {
    # the keys and the revalidation window are for this cache, not for clients
    unset resp.http.xkey;
    unset resp.http.x-nashra-swr;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
