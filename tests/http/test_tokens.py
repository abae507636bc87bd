"""API tokens: hashing, ``nashra token create``, authentication and category scopes."""

from __future__ import annotations

import contextlib
import hashlib
import re
import tomllib

import pytest
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.cli import main
from feeds.config.loader import load_settings
from feeds.config.settings import Token
from feeds.http import tokens
from feeds.http.tokens import AuthError, allowed, authenticate, hash_token, new_token
from store.errors import NashraError
from tests.support.builders import record
from tests.support.config import MakeConfig

CONFIGURED = (
    Token("cms", hash_token("first-token")),
    Token("desk", hash_token("second-token"), frozenset({"economy"})),
    Token("spare", hash_token("third-token")),
)


def test_hash_is_sha256_hex_with_its_prefix() -> None:
    assert hash_token("abc") == (
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert hash_token("توكن") == "sha256:" + hashlib.sha256("توكن".encode()).hexdigest()


def test_new_token_is_random_and_its_lines_hold_only_its_hash() -> None:
    token, lines = new_token("cms")
    other, _ = new_token("cms")
    assert token != other
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes, URL-safe base64
    assert token not in lines
    assert tomllib.loads(lines) == {"tokens": [{"name": "cms", "hash": hash_token(token)}]}


def test_new_token_with_categories() -> None:
    token, lines = new_token("desk", [" economy", "politics", "economy", ""])
    (table,) = tomllib.loads(lines)["tokens"]
    assert table == {
        "name": "desk",
        "hash": hash_token(token),
        "categories": ["economy", "politics"],
    }


@pytest.mark.parametrize("name", ['CMS "main"', "back\\slash", "مكتب الاقتصاد", "x'y"])
def test_any_printable_name_survives_toml(name: str) -> None:
    _, lines = new_token(name)
    assert tomllib.loads(lines)["tokens"][0]["name"] == name


@pytest.mark.parametrize(
    ("name", "categories"),
    [("", None), ("  ", None), ("a\nb", None), ("a\x7f", None), ("cms", []), ("cms", [" , "]),
     ("cms", ["Economy"]), ("cms", ["a b"])],
)  # fmt: skip
def test_new_token_refuses_bad_names_and_slugs(name: str, categories: list[str] | None) -> None:
    with pytest.raises(NashraError):
        new_token(name, categories)


def test_authenticate_finds_the_token() -> None:
    assert authenticate("Bearer second-token", CONFIGURED) is CONFIGURED[1]
    assert authenticate("bearer  third-token ", CONFIGURED) is CONFIGURED[2]


@pytest.mark.parametrize(
    ("header", "sent"),
    [
        (None, False),
        ("", False),
        ("Bearer", False),
        ("Bearer   ", False),
        ("Basic Zmlyc3QtdG9rZW4=", False),
        ("first-token", False),
        ("Bearer first-token2", True),
        ("Bearer first-token second-token", True),
        ("Bearer first\u00e9token", True),
        (f"Bearer {hash_token('first-token')}", True),
    ],
)
def test_authenticate_refuses(header: str | None, sent: bool) -> None:
    with pytest.raises(AuthError) as error:
        authenticate(header, CONFIGURED)
    assert error.value.sent is sent
    credentials = (header or "").partition(" ")[2].strip()
    if credentials:
        assert credentials not in str(error.value)


def test_without_configured_tokens_nothing_authenticates() -> None:
    with pytest.raises(AuthError):
        authenticate("Bearer first-token", ())


@pytest.mark.parametrize("presented", ["first-token", "third-token", "wrong"])
def test_every_configured_hash_is_compared_in_constant_time(
    presented: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[str, str]] = []
    real = tokens.hmac.compare_digest

    def counting(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", counting)
    with contextlib.suppress(AuthError):
        authenticate(f"Bearer {presented}", CONFIGURED)
    assert compared == [(hash_token(presented), t.hash) for t in CONFIGURED]


def test_allowed() -> None:
    cms, desk, _ = CONFIGURED
    assert allowed(cms, ["politics", "economy"])
    assert allowed(desk, ["economy"])
    assert not allowed(desk, ["economy", "politics"])
    assert not allowed(desk, ["politics"])


# --- nashra token create --------------------------------------------------------------------------


def created(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    """Run ``nashra token create`` in-process: the token printed, and the config lines."""
    capsys.readouterr()
    assert main(["token", "create", *args]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    token = lines[lines.index(next(line for line in lines if line.startswith("Token"))) + 1]
    return token, out[out.index("[[tokens]]") :]


def test_token_create_output_pastes_into_a_config_that_authenticates_it(
    make_config: MakeConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    cms, cms_lines = created(capsys, "cms")
    desk, desk_lines = created(capsys, "economy desk", "--categories", "economy,francais")
    assert cms != desk
    config = make_config(f"{cms_lines}\n{desk_lines}")
    settings = load_settings(config)
    assert authenticate(f"Bearer {cms}", settings.tokens) == Token("cms", hash_token(cms))
    assert authenticate(f"Bearer {desk}", settings.tokens) == Token(
        "economy desk", hash_token(desk), frozenset({"economy", "francais"})
    )
    assert cms not in config.read_text(encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {cms}"}
        assert client.post("/api/articles", json=record(1), headers=headers).status_code == 201
        headers = {"Authorization": f"Bearer {desk}"}
        assert client.post("/api/articles", json=record(2), headers=headers).status_code == 403


def test_token_create_breaking_lets_a_desk_token_mark_breaking(
    make_config: MakeConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    desk, desk_lines = created(capsys, "desk", "--categories", "economy")
    flash, flash_lines = created(capsys, "flash", "--categories", "economy", "--breaking")
    assert "breaking = true" in flash_lines and "breaking" not in desk_lines
    settings = load_settings(make_config(f"{desk_lines}\n{flash_lines}"))
    assert [t.may_mark_breaking for t in settings.tokens] == [False, True]
    story = record(1, categories=["economy"], breaking=True)
    with TestClient(create_app(settings)) as client:
        for secret, status in ((desk, 403), (flash, 201)):
            headers = {"Authorization": f"Bearer {secret}"}
            assert client.post("/api/articles", json=story, headers=headers).status_code == status


def test_token_create_refuses_a_blank_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", " "]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "token name" in captured.err


def test_token_help_lists_create(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["token", "create", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for word in ("NAME", "--categories", "--breaking", "hash"):
        assert word in out
