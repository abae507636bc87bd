"""The publishing API through real HTTP: statuses, bodies, tokens, and what the feeds then show."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest
from lxml import etree
from starlette.testclient import TestClient
from starlette.types import Message

from feeds.app import NashraApp, create_app
from feeds.config.loader import load_settings
from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.http.state import STATE_KEY, AppState
from feeds.http.tokens import hash_token
from feeds.ingest.records import validate_record
from tests.support import builders
from tests.support.clock import Clock
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig, token
from tests.support.faults import corrupt_store
from tests.support.fetch import fetch

CMS = "cms-0n9Yp3yWq1sE8kX2vB6tR4uZ7aD5fG0hJ"
DESK = "desk-Lr2Qm8Nc4Vx6Bz1Kw9Hs3Jd7Pf5Tg0Ya"
MAX_BATCH = 5
MAX_BODY = 64 * 1024
ATOM = "{http://www.w3.org/2005/Atom}"
ALL_FORMATS = tuple(fmt.extension for fmt in FORMATS)


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    """The test configuration, with API limits and two tokens: everything, and economy only."""
    return make_config(
        api={"max_batch": MAX_BATCH, "max_body": MAX_BODY},
        tokens=[token("cms", CMS), token("economy-desk", DESK, ["economy"])],
    )


class Notifier:
    """Counts the wake-ups the API gives the outbox workers after its writes."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


@pytest.fixture
def notifier(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Notifier:
    counter = Notifier()
    monkeypatch.setattr(AppState, "wake_outbox", counter.wake)
    return counter


#: test records without HTML content, so that they are stored exactly as sent
record = functools.partial(builders.record, content=None)


def auth(token: str = CMS) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: TestClient, body: Any, token: str = CMS) -> httpx.Response:
    return client.post("/api/articles", json=body, headers=auth(token))


def put(client: TestClient, article_id: str, body: Any, token: str = CMS) -> httpx.Response:
    return client.put(f"/api/articles/{quote(article_id, safe='')}", json=body, headers=auth(token))


def get(client: TestClient, article_id: str, token: str = CMS) -> httpx.Response:
    return client.get(f"/api/articles/{quote(article_id, safe='')}", headers=auth(token))


def delete(client: TestClient, article_id: str, token: str = CMS) -> httpx.Response:
    return client.delete(f"/api/articles/{quote(article_id, safe='')}", headers=auth(token))


def feed(client: TestClient, key: str, fmt: str = "atom") -> httpx.Response:
    """The feed, uncompressed: its ETag is the one the API reports."""
    return fetch(client, f"/feeds/{key}.{fmt}", {"Accept-Encoding": "identity"})


def feed_ids(client: TestClient, key: str) -> set[str]:
    """The article ids in a feed, read from its Atom entry ids (``tag:…:article:ID``)."""
    root = etree.fromstring(feed(client, key).content)
    return {
        str(entry.findtext(f"{ATOM}id")).rsplit(":", 1)[1] for entry in root.iter(f"{ATOM}entry")
    }


def served_etags(client: TestClient, keys: Iterable[str]) -> dict[str, dict[str, str]]:
    return {k: {fmt: feed(client, k, fmt).headers["etag"] for fmt in ALL_FORMATS} for k in keys}


def assert_feeds_served(client: TestClient, body: dict[str, Any], keys: set[str]) -> None:
    """The response names exactly ``keys``, with the ETags those feeds now serve."""
    assert set(body["feeds"]) == keys
    assert body["feeds"] == served_etags(client, keys)


# --- writing, and what the feeds show next --------------------------------------------------------


def test_post_adds_an_article_that_every_feed_shows_next(
    client: TestClient, notifier: Notifier
) -> None:
    data = record(7)  # breaking
    response = post(client, data)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/articles/t-00007"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["outcome"] == "added"
    assert body["article"] == data
    assert body["warnings"] == []
    assert_feeds_served(client, body, {"politics", "all", "breaking"})
    assert list(body["feeds"]["politics"]) == ["rss", "atom", "json"]  # each format's ETag
    for key in ("politics", "all", "breaking"):
        assert "t-00007" in feed_ids(client, key)
    assert "t-00007" not in feed_ids(client, "economy")
    assert notifier.wakes == 1


def test_post_of_a_non_breaking_article_leaves_the_breaking_feed_alone(client: TestClient) -> None:
    body = post(client, record(1)).json()
    assert set(body["feeds"]) == {"politics", "all"}
    assert "t-00001" not in feed_ids(client, "breaking")


def test_post_again_is_unchanged_and_a_newer_version_updates(
    client: TestClient, notifier: Notifier
) -> None:
    assert post(client, record(1)).status_code == 201
    again = post(client, record(1))
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert "location" not in again.headers
    assert notifier.wakes == 1
    newer = record(1, title="عنوان جديد", updated="2026-11-02T09:00:00+03:00")
    response = post(client, newer)
    assert response.status_code == 200
    assert response.json()["outcome"] == "updated"
    assert get(client, "t-00001").json()["title"] == "عنوان جديد"
    assert notifier.wakes == 2


def test_an_older_version_is_stale_409_and_nothing_changes(client: TestClient) -> None:
    newer = record(1, updated="2026-11-02T09:00:00+03:00")
    assert post(client, newer).status_code == 201
    before = served_etags(client, ["politics", "all"])
    older = record(1, title="قديم", updated="2026-11-01T12:00:00+03:00")
    for response in (post(client, older), put(client, "t-00001", older)):
        assert response.status_code == 409
        body = response.json()
        assert "newer" in body["error"]
        assert body["article"] == newer
    assert get(client, "t-00001").json() == newer
    assert served_etags(client, ["politics", "all"]) == before


def test_put_moving_an_article_updates_the_feeds_it_left_and_joined(client: TestClient) -> None:
    assert post(client, record(7)).status_code == 201
    moved = record(7, categories=["economy"], breaking=False, updated="2026-11-03T10:00:00+00:00")
    response = put(client, "t-00007", moved)
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "updated"
    assert body["article"] == moved
    assert_feeds_served(client, body, {"politics", "economy", "all", "breaking"})
    assert "t-00007" not in feed_ids(client, "politics")
    assert "t-00007" not in feed_ids(client, "breaking")
    assert "t-00007" in feed_ids(client, "economy")
    assert "t-00007" in feed_ids(client, "all")


def test_put_creates_201_and_takes_a_missing_id_from_the_url(client: TestClient) -> None:
    data = record(3, id=None)
    response = put(client, "from-url", data)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/articles/from-url"
    assert response.json()["article"]["id"] == "from-url"
    assert get(client, "from-url").json() == {**data, "id": "from-url"}
    assert put(client, "from-url", {**data, "id": None}).json()["outcome"] == "unchanged"


def test_put_with_another_id_in_the_record_is_422(client: TestClient) -> None:
    response = put(client, "a-1", record(1, id="a-2"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "index": 0,
            "id": "a-2",
            "field": "id",
            "message": "does not match the id in the URL, 'a-1'",
        }
    ]
    assert get(client, "a-1").status_code == 404
    assert get(client, "a-2").status_code == 404


def test_ids_are_url_encoded_in_location_and_found_by_their_encoded_path(
    client: TestClient,
) -> None:
    article_id = "2026/11 مقال?#%"
    response = post(client, record(2, id=article_id))
    assert response.status_code == 201
    assert response.headers["location"] == f"/api/articles/{quote(article_id, safe='')}"
    assert client.get(response.headers["location"], headers=auth()).json()["id"] == article_id
    assert put(client, article_id, record(2, id=None)).json()["outcome"] == "unchanged"
    assert delete(client, article_id).status_code == 200


def test_delete_removes_the_article_from_every_feed(client: TestClient, notifier: Notifier) -> None:
    assert post(client, record(7)).status_code == 201
    assert post(client, record(8)).status_code == 201
    response = delete(client, "t-00007")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "t-00007"
    assert body["outcome"] == "deleted"
    assert_feeds_served(client, body, {"politics", "all", "breaking"})
    for key in ("politics", "all", "breaking"):
        assert "t-00007" not in feed_ids(client, key)
    assert "t-00008" in feed_ids(client, "all")
    assert notifier.wakes == 3
    assert delete(client, "t-00007").status_code == 404
    assert get(client, "t-00007").status_code == 404


def test_get_returns_the_stored_record_which_puts_back_unchanged(client: TestClient) -> None:
    data = record(4, author=None, image=None, breaking_until="2026-11-01T20:00:00+03:00")
    data["content"] = '<p>نص <a href="/more/">المزيد</a></p>'
    assert post(client, data).status_code == 201
    response = get(client, "t-00004")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    stored = response.json()
    assert stored.pop("content") == (
        '<p>نص <a href="https://news.example/more/" rel="noopener noreferrer">المزيد</a></p>'
    )
    # absent optional fields are left out, dates keep their offsets
    assert stored == {name: value for name, value in data.items() if name != "content"}
    assert "author" not in stored
    assert "image" not in stored
    assert put(client, "t-00004", response.json()).json()["outcome"] == "unchanged"
    assert get(client, "nope").status_code == 404
    assert get(client, "nope").json() == {"error": "no article with id 'nope'", "id": "nope"}


def test_hostile_content_is_cleaned_as_on_import_with_the_warnings(
    client: TestClient, settings: Settings, import_records: ImportRecords
) -> None:
    hostile = builders.record(
        5,
        title="<b>عاجل</b>\x01 خبر",
        content='<p>نص<script>alert(1)</script></p><a href="javascript:alert(1)">x</a>'
        '<img src="/a.jpg" onerror="alert(1)">',
    )
    response = post(client, {**hostile, "id": "via-api"})
    assert response.status_code == 201
    body = response.json()
    expected = validate_record({**hostile, "id": "via-api"}, settings, 0)
    assert expected.warnings
    assert body["warnings"] == [{"field": w.field, "message": w.message} for w in expected.warnings]
    assert import_records([{**hostile, "id": "via-import"}]).code == 0
    via_api, via_import = get(client, "via-api").json(), get(client, "via-import").json()
    assert via_api == body["article"]
    assert via_api == {**via_import, "id": "via-api"}
    assert "script" not in via_api["content"]
    assert "javascript" not in via_api["content"]
    assert "onerror" not in via_api["content"]
    assert via_api["title"] == "عاجل خبر"


# --- batches --------------------------------------------------------------------------------------


def test_a_batch_is_written_whole_with_each_outcome(client: TestClient) -> None:
    assert post(client, record(1)).status_code == 201
    batch = [record(1), record(2), record(3, "en"), record(14)]
    response = post(client, batch)
    assert response.status_code == 200
    results = response.json()["articles"]
    assert [r["outcome"] for r in results] == ["unchanged", "added", "added", "added"]
    assert [r["article"] for r in results] == batch
    assert set(results[2]["feeds"]) == {"english", "all"}
    assert set(results[3]["feeds"]) == {"politics", "all", "breaking"}
    for result in results:
        assert_feeds_served(client, result, set(result["feeds"]))
    assert {"t-00001", "t-00002", "t-00003", "t-00014"} <= feed_ids(client, "all")


def test_one_bad_record_in_a_batch_writes_nothing_and_names_it(client: TestClient) -> None:
    assert post(client, record(1)).status_code == 201
    before = served_etags(client, ["politics", "all", "breaking"])
    changed = record(1, title="تغيير", updated="2026-11-05T00:00:00Z")
    bad = record(3, published="yesterday", categories=["sport"])
    response = post(client, [record(2), changed, bad])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["index"], e["id"], e["field"]) for e in errors} == {
        (2, "t-00003", "published"),
        (2, "t-00003", "categories[0]"),
    }
    assert get(client, "t-00002").status_code == 404
    assert get(client, "t-00001").json()["title"] == record(1)["title"]
    assert served_etags(client, ["politics", "all", "breaking"]) == before


def test_a_record_that_is_not_an_object_is_422(client: TestClient) -> None:
    response = post(client, [record(1), "t-00002"])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 1, "id": None, "field": "", "message": "is not a JSON object"}
    ]


@pytest.mark.parametrize("size", [0, MAX_BATCH + 1])
def test_a_batch_size_outside_the_limit_is_422(client: TestClient, size: int) -> None:
    response = post(client, [record(i) for i in range(size)])
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert f"1 to {MAX_BATCH}" in error["message"]
    assert str(size) in error["message"]
    assert get(client, "t-00000").status_code == 404


def test_single_record_problems_are_422_with_index_id_and_field(client: TestClient) -> None:
    response = post(client, record(1, link="/relative", image={"url": "x"}))
    assert response.status_code == 422
    body = response.json()
    assert "nothing was written" in body["error"]
    fields = [(e["index"], e["id"], e["field"]) for e in body["errors"]]
    assert (0, "t-00001", "link") in fields
    assert (0, "t-00001", "image.url") in fields
    assert (0, "t-00001", "image.type") in fields
    assert all(e["message"] for e in body["errors"])


LONG = "x" * 50_000  # within the body limit, and far longer than a message should quote


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"link": LONG}, "link"),
        ({"link": "https://news.example/\x00" + LONG}, "link"),
        ({"published": LONG}, "published"),
        ({"language": LONG}, "language"),
        ({"categories": [LONG]}, "categories[0]"),
        ({"image": {"url": "https://news.example/i.jpg", "type": LONG}}, "image.type"),
        ({"image": {"url": "https://news.example/i.jpg", "type": "image/jpeg", "width": LONG,
                    "height": 450}},
         "image.width"),
        ({"id": LONG}, "id"),
    ],
)  # fmt: skip
def test_a_422_quotes_only_the_start_of_a_long_bad_value(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    response = post(client, record(1) | changes)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert len(response.content) < 1000


def test_a_long_id_in_the_url_is_quoted_short(client: TestClient) -> None:
    response = put(client, LONG[:5000], record(1))
    assert response.status_code == 422
    assert "'" + "x" * 79 + "…" in response.text  # 80 characters of the repr, then …
    assert len(response.content) < 1000
    response = client.get(f"/api/articles/{LONG[:5000]}", headers=auth())
    assert response.status_code == 404
    assert len(response.content) < 1000


# --- the body: type, size, syntax -----------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_typed_is_415(client: TestClient, content_type: str | None) -> None:
    headers = auth() | ({"Content-Type": content_type} if content_type else {})
    response = client.post("/api/articles", content=json.dumps(record(1)), headers=headers)
    assert response.status_code == 415
    assert get(client, "t-00001").status_code == 404


def test_json_with_a_charset_parameter_is_accepted(client: TestClient) -> None:
    headers = auth() | {"Content-Type": "Application/JSON; charset=utf-8"}
    body = json.dumps(record(1), ensure_ascii=False).encode()
    assert client.post("/api/articles", content=body, headers=headers).status_code == 201


@pytest.mark.parametrize(
    "body", [b'{"id": "a-1",', b"\xff\xfe{}", b'{"length": NaN}', b"[" * 30_000 + b"]" * 30_000]
)
def test_malformed_json_is_400(client: TestClient, body: bytes) -> None:
    headers = auth() | {"Content-Type": "application/json"}
    response = client.post("/api/articles", content=body, headers=headers)
    assert response.status_code == 400
    assert "not UTF-8 JSON" in response.json()["error"]


def test_a_declared_length_over_the_limit_is_413(client: TestClient) -> None:
    big = json.dumps(record(1, summary="خبر " * MAX_BODY)).encode()
    headers = auth() | {"Content-Type": "application/json"}
    response = client.post("/api/articles", content=big, headers=headers)
    assert response.status_code == 413
    assert str(MAX_BODY) in response.json()["error"]
    assert get(client, "t-00001").status_code == 404


def test_a_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # sent chunked: no Content-Length
        yield b'{"summary": "'
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    headers = auth() | {"Content-Type": "application/json"}
    response = client.post("/api/articles", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_a_streamed_body_is_cut_off_at_the_limit_not_read_whole(client: TestClient) -> None:
    """Straight through ASGI: the API stops asking for chunks once past the limit."""
    app = client.app
    assert isinstance(app, NashraApp)
    chunk = b" " * 4096
    asked = 0

    async def receive() -> Message:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": chunk, "more_body": True}  # never ends

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"authorization", f"Bearer {CMS}".encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "https", "path": "/api/articles", "raw_path": b"/api/articles",
        "root_path": "", "query_string": b"", "headers": headers,
        "server": ("news.example", 443), "client": ("127.0.0.1", 1234),
        "state": {STATE_KEY: app.state},  # what the server copies from the lifespan
    }  # fmt: skip
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert asked == MAX_BODY // len(chunk) + 1


# --- access control -------------------------------------------------------------------------------

REQUESTS: list[tuple[str, str]] = [
    ("POST", "/api/articles"),
    ("PUT", "/api/articles/t-00001"),
    ("DELETE", "/api/articles/t-00001"),
    ("GET", "/api/articles/t-00001"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        (None, 'Bearer realm="nashra"'),
        (f"Basic {CMS}", 'Bearer realm="nashra"'),
        ("Bearer", 'Bearer realm="nashra"'),
        ("Bearer wrong-token", 'Bearer realm="nashra", error="invalid_token"'),
        (f"Bearer {CMS}x", 'Bearer realm="nashra", error="invalid_token"'),
        (f"Bearer {CMS} {CMS}", 'Bearer realm="nashra", error="invalid_token"'),
        (f"Bearer {hash_token(CMS)}", 'Bearer realm="nashra", error="invalid_token"'),
    ],
)
def test_without_a_valid_token_every_endpoint_is_401(
    client: TestClient, method: str, path: str, authorization: str | None, challenge: str
) -> None:
    assert post(client, record(1)).status_code == 201
    headers = {"Authorization": authorization} if authorization else {}
    # the token is checked first: a bad body does not get a 415 or a 400 first
    response = client.request(method, path, content=b"{", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["error"]
    assert get(client, "t-00001").json() == record(1)


def test_the_bearer_scheme_is_case_insensitive(client: TestClient) -> None:
    headers = {"Authorization": f"bEaReR {CMS}"}
    assert client.post("/api/articles", json=record(1), headers=headers).status_code == 201


def test_a_category_token_writes_its_categories(client: TestClient) -> None:
    data = record(1, categories=["economy"])
    assert post(client, data, DESK).status_code == 201
    assert get(client, "t-00001", DESK).json() == data
    changed = {**data, "title": "تعديل", "updated": "2026-11-09T00:00:00Z"}
    assert put(client, "t-00001", changed, DESK).json()["outcome"] == "updated"
    assert delete(client, "t-00001", DESK).status_code == 200


@pytest.mark.parametrize("categories", [["politics"], ["economy", "politics"]])
def test_a_category_token_cannot_write_outside_them(
    client: TestClient, categories: list[str]
) -> None:
    for response in (
        post(client, record(1, categories=categories), DESK),
        post(client, [record(2, categories=["economy"]), record(1, categories=categories)], DESK),
        put(client, "t-00001", record(1, categories=categories), DESK),
    ):
        assert response.status_code == 403
        body = response.json()
        assert "economy-desk" in body["error"]
        assert [e["field"] for e in body["errors"]] == ["categories"]
        assert "politics" in body["errors"][0]["message"]
    assert get(client, "t-00001").status_code == 404
    assert get(client, "t-00002").status_code == 404


def test_a_category_token_cannot_move_read_or_delete_another_desks_article(
    client: TestClient, clock: Clock
) -> None:
    clock.stop()  # both answers compared below carry the same Date
    politics = record(1)
    assert post(client, politics).status_code == 201
    before = served_etags(client, ["politics", "economy", "all"])
    moved = record(1, categories=["economy"], updated="2026-11-09T00:00:00Z")
    missing = record(9, categories=["economy"])
    assert get(client, "t-00009").status_code == 404
    for outside, absent in (
        (get(client, "t-00001", DESK), get(client, "t-00009", DESK)),
        (delete(client, "t-00001", DESK), delete(client, "t-00009", DESK)),
        (put(client, "t-00001", moved, DESK), None),
        (post(client, moved, DESK), None),
    ):
        # exactly the answer for an id that does not exist: which ids another desk has is secret
        assert outside.status_code == 404
        assert outside.json() == {"error": "no article with id 't-00001'", "id": "t-00001"}
        if absent is not None:
            assert absent.status_code == 404
            assert absent.json() == {"error": "no article with id 't-00009'", "id": "t-00009"}
            assert outside.headers.items() - absent.headers.items() <= {
                ("content-length", outside.headers["content-length"])
            }
    assert get(client, "t-00001").json() == politics
    assert served_etags(client, ["politics", "economy", "all"]) == before
    assert put(client, "t-00009", missing, DESK).status_code == 201  # a free id is the desk's


def test_a_record_outside_the_scope_is_403_whether_or_not_its_id_exists(
    client: TestClient,
) -> None:
    assert post(client, record(1)).status_code == 201
    taken = put(client, "t-00001", record(1, categories=["politics"]), DESK)
    free = put(client, "t-00002", record(2, categories=["politics"]), DESK)
    assert taken.status_code == free.status_code == 403
    assert [e["field"] for e in taken.json()["errors"]] == ["categories"]


BREAKING_DESK = "bdsk-Qe7Wr4Ty1Ui8Op5As2Df9Gh6Jk3Lz0Xc"
NEWSROOM_NO_BREAKING = "nrnb-Mn5Bv2Cx8Zl4Kj7Hg1Fd6Sa3Po9Iu0Yt"


@pytest.fixture
def breaking_config(make_config: MakeConfig) -> Path:
    return make_config(
        tokens=[
            token("cms", CMS),
            token("economy-desk", DESK, ["economy"]),
            {**token("economy-breaking", BREAKING_DESK, ["economy"]), "breaking": True},
            {**token("archive", NEWSROOM_NO_BREAKING), "breaking": False},
        ]
    )


def test_marking_breaking_needs_a_token_allowed_to(breaking_config: Path) -> None:
    with TestClient(
        create_app(load_settings(breaking_config)), base_url="https://news.example"
    ) as client:
        before = served_etags(client, ["breaking"])
        story = record(1, categories=["economy"], breaking=True)
        for secret in (DESK, NEWSROOM_NO_BREAKING):
            for response in (post(client, story, secret), put(client, "t-00001", story, secret)):
                assert response.status_code == 403, response.text
                (error,) = response.json()["errors"]
                assert error["field"] == "breaking" and error["id"] == "t-00001"
                assert "breaking = true" in error["message"]
        assert served_etags(client, ["breaking"]) == before
        assert post(client, story, BREAKING_DESK).status_code == 201  # breaking = true
        assert post(client, record(2, breaking=True)).status_code == 201  # the newsroom's own
        assert feed_ids(client, "breaking") >= {"t-00001", "t-00002"}


def test_a_desk_may_correct_a_breaking_story_but_not_unmark_or_extend_it(
    breaking_config: Path,
) -> None:
    with TestClient(
        create_app(load_settings(breaking_config)), base_url="https://news.example"
    ) as client:
        story = record(1, categories=["economy"], breaking=True)
        assert post(client, story).status_code == 201
        fixed = {**story, "title": "تصحيح", "updated": "2026-11-09T00:00:00+00:00"}
        assert put(client, "t-00001", fixed, DESK).json()["outcome"] == "updated"
        later = {**fixed, "updated": "2026-11-10T00:00:00+00:00"}
        for change in ({"breaking": False}, {"breaking_until": "2026-11-11T00:00:00+00:00"}):
            response = put(client, "t-00001", later | change, DESK)
            assert response.status_code == 403
            assert [e["field"] for e in response.json()["errors"]] == ["breaking"]
        assert get(client, "t-00001").json() == fixed


def test_a_flash_in_no_category_is_out_of_a_desks_reach_without_breaking_rights(
    breaking_config: Path,
) -> None:
    with TestClient(
        create_app(load_settings(breaking_config)), base_url="https://news.example"
    ) as client:
        flash = record(1, categories=[], breaking=True)
        assert post(client, flash).status_code == 201  # the newsroom's, in no category
        before = served_etags(client, ["breaking", "all"])
        for response in (
            get(client, "t-00001", DESK),
            delete(client, "t-00001", DESK),
            put(client, "t-00001", {**flash, "title": "x"}, DESK),
        ):
            assert response.status_code in (403, 404), response.text
        assert get(client, "t-00001").json() == flash
        assert served_etags(client, ["breaking", "all"]) == before
        assert get(client, "t-00001", BREAKING_DESK).status_code == 200  # breaking = true


def test_no_token_configured_means_no_writes(make_config: MakeConfig) -> None:
    with TestClient(create_app(load_settings(make_config(tokens=[])))) as client:
        response = post(client, record(1))
        assert response.status_code == 401
        assert (
            response.headers["www-authenticate"] == 'Bearer realm="nashra", error="invalid_token"'
        )


def test_the_token_never_reaches_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert post(client, record(1)).status_code == 201
    assert put(client, "t-00001", record(1, categories=["economy"]), DESK).status_code == 404
    assert post(client, record(2), f"{CMS}-wrong").status_code == 401
    assert delete(client, "t-00001").status_code == 200
    assert any("cms" in r.getMessage() for r in caplog.records), "writes are logged by token name"
    for secret in (CMS, DESK):
        assert secret not in caplog.text
        for log_record in caplog.records:
            assert secret not in log_record.getMessage()
            assert secret not in repr(log_record.args)


# --- the rest of HTTP -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/articles", {"POST"}),
        ("PATCH", "/api/articles/t-00001", {"GET", "HEAD", "PUT", "DELETE"}),
        ("POST", "/api/articles/t-00001", {"GET", "HEAD", "PUT", "DELETE"}),
    ],
)
def test_a_wrong_method_is_405_with_allow(
    client: TestClient, method: str, path: str, allow: set[str]
) -> None:
    response = client.request(method, path, headers=auth())
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == allow
    assert response.json() == {"error": "Method Not Allowed"}


@pytest.mark.parametrize("path", ["/api/", "/api/nope", "/api/articles-2", "/api/v1/articles"])
def test_unknown_api_paths_are_json_404(client: TestClient, path: str) -> None:
    response = client.get(path, headers=auth())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "Not Found"}


def test_the_api_sends_no_cors_header_but_the_feeds_do(client: TestClient) -> None:
    responses = [
        post(client, record(1)),
        get(client, "t-00001"),
        get(client, "nope"),
        client.get("/api/articles/t-00001"),
        client.get("/api/nope"),
        client.options("/api/articles", headers={"Origin": "https://evil.example"}),
    ]
    for response in responses:
        assert "access-control-allow-origin" not in response.headers, response.request.url
    assert feed(client, "politics").headers["access-control-allow-origin"] == "*"
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


def test_a_store_failure_is_503_json(client: TestClient, settings: Settings) -> None:
    assert post(client, record(1)).status_code == 201
    corrupt_store(settings.store.path)
    for response in (get(client, "t-00001"), post(client, record(2))):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        assert "unavailable" in response.json()["error"]
