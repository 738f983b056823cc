"""Round 6 red-team secrets: bearer tokens in code, *_KEY/*_AUTH/*_DSN assignments with a
generated value, more password phrasings and languages, registry/SMB command lines, Discord
webhooks, one-word PSKs and shared secrets, and the jwt.io documentation token (public)."""

from __future__ import annotations

import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.sensitivity import tag_sensitivity

TOKEN = "Zx9Qp2Lm7Rt4Vb8Nc1Hs6Jd3Kf5Gw0Ty"
HEX32 = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
PW = "Hunter2Prod"


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def assert_secret(text: str, value: str) -> None:
    res = tag(text)
    assert res.tier == "confidential", (text, res)
    hits = [f for f in res.findings if f.detector == "api_key"]
    assert hits, res.findings
    vs = text.index(value)
    # a finding covers the value, and no finding carries it raw
    assert any(f.start <= vs and vs + len(value) <= f.end <= len(text) for f in hits), (text, hits)
    assert all(value not in f.masked for f in res.findings)


@pytest.mark.parametrize("text", [
    f'xhr.setRequestHeader("Authorization", "Bearer {TOKEN}");',
    f'req.Header.Set("Authorization", "Bearer {TOKEN}")',
    f'HttpRequest.newBuilder(uri).header("Authorization", "Bearer {TOKEN}").build();',
    f'fetch(url, {{ headers: {{ Authorization: `Bearer {TOKEN}` }} }})',
    f'const h = "Bearer " + "{TOKEN}";',
    f"send it with Bearer {TOKEN} in the header",
])
def test_bearer_tokens_in_code_and_prose(text):
    assert_secret(text, TOKEN)


@pytest.mark.parametrize("text", [
    "fetch(url, { headers: { Authorization: `Bearer ${token}` } })",
    'const h = "Bearer " + token;',
    "The Bearer token scheme is defined in RFC 6750.",
    'headers["Authorization"] = f"Bearer {settings.API_TOKEN}"',
    "Bearer abcdefghijklmnopqrstuvwxyz",  # no digits: not generated
])
def test_bearer_placeholders_stay_public(text):
    assert tag(text).tier == "public", tag(text)


@pytest.mark.parametrize("name", [
    "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "SIGNING_KEY", "HMAC_KEY",
    "SUPABASE_SERVICE_ROLE_KEY", "REDIS_AUTH",
])
def test_env_key_auth_assignments_with_generated_values(name):
    assert_secret(f"{name}={TOKEN}", TOKEN)
    assert_secret(f"export {name}='{TOKEN}'", TOKEN)


@pytest.mark.parametrize("text,value", [
    (f"APP_KEY=base64:{TOKEN}=", TOKEN),
    (f"DD_APP_KEY={HEX32}", HEX32),
    (f"SENTRY_DSN=https://{HEX32}@o123.ingest.sentry.io/1", HEX32),
    (f'const KEY = "{TOKEN}";', TOKEN),
    (f'{{"key": "{TOKEN}"}}', TOKEN),
    (f"https://maps.example.org/api/js?key={HEX32}&v=3", HEX32),
    (f"signingKey: '{TOKEN}'", TOKEN),
])
def test_key_dsn_values(text, value):
    assert_secret(text, value)
    if "&v=3" in text:
        f = next(f for f in tag(text).findings if f.detector == "api_key")
        assert text[f.start:f.end].endswith(value)  # the next query parameter is not part of it


@pytest.mark.parametrize("text", [
    "PRIMARY_KEY=id", "SORT_KEY=name", "FOREIGN_KEY=user_id", 'key = "user_id"', "key=lambda x: x[1]",
    'sorted(rows, key=str.lower)',
    'key = "550e8400-e29b-41d4-a716-446655440000"',           # a UUID
    "key: 4b825dc642cb6eb9a060e54bf8d69288fbee4904",           # a git SHA
    '"AWS::KMS::Key": "2b447c471bc70388",',                    # a 64-bit schema hash
    'CACHE_KEY=5d41402abc4b2a76b9719d911017c592',
    'STRIPE_PUBLISHABLE_KEY=' + TOKEN,
    'GPG_KEY=3AA5C34371567BD2',
    '--targets "Key=instanceids,Values=i-0cb2b964d3e14fd9f"',
    '"streamKey": "rt_123456789012_us-west-2_AbCdEfGh1234_abcd1234efgh5678ijkl9012MNOP34"',
    "monkey=Zx9Qp2Lm7Rt4Vb8Nc1Hs6Jd3Kf5Gw0Ty",
    "version: 2021-01-01T00:00:00Z key: release-2023-v2-build45",
    "token: ident", "api_key: production",
])
def test_ordinary_keys_stay_public(text):
    res = tag(text)
    assert "api_key" not in {f.detector for f in res.findings}, res.findings


@pytest.mark.parametrize("text,value", [
    ("password for staging: Hunter2Prod", PW),
    ("the password to the box is Hunter2Prod", PW),
    ("Password - Hunter2Prod", PW),
    ("Password\nHunter2Prod", PW),
    ("Username\njdoe\nPassword\nHunter2Prod\n", PW),
    ("my pw is Hunter2Prod", PW),
    ("pwd Hunter2Prod", PW),
    ("ssh root@10.0.0.5 (pw Hunter2Prod)", PW),
    ("user jdoe pass Hunter2Prod", PW),
    ("SMTP_PASSWORD=kxqz vbnm wprt lsdf", "kxqz vbnm wprt lsdf"),
    ("app password: kxqz vbnm wprt lsdf", "kxqz vbnm wprt lsdf"),
    (f"docker login -u jdoe -p {TOKEN} registry.example.org", TOKEN),
    ("az login -u jdoe -p Hunter2Prod", PW),
    ("smbclient -U jdoe%Pass123 //srv/share", "Pass123"),
    ("secret: swordfish", "swordfish"),
    ("psk=swordfish", "swordfish"),
    ("WIFI_PSK=swordfish", "swordfish"),
    ("shared secret: swordfish", "swordfish"),
    ("пароль: Hunter2Prod", PW),
    ("パスワード：Hunter2Prod", PW),
    ("密码: Hunter2Prod", PW),
    ("비밀번호: Hunter2Prod", PW),
    ("şifre: Hunter2Prod", PW),
    ("parola: Hunter2Prod", PW),
    ("lösenord: Hunter2Prod", PW),
    ("salasana: Hunter2Prod", PW),
    ("пароль: sunshine", "sunshine"),  # a one-word password counts, as "password: admin" does
])
def test_password_phrasings(text, value):
    assert_secret(text, value)


def test_discord_webhook():
    url = "https://discord.com/api/webhooks/123456789012345678/" + TOKEN * 2 + "abcd"
    res = tag("post to " + url)
    assert res.tier == "confidential"
    f = next(f for f in res.findings if f.detector == "api_key")
    assert "prefix discord.com/api/webhooks/" == f.verdict and TOKEN not in f.masked
    assert tag("see https://discord.com/api/webhooks/{id}/{token} in the docs").tier == "public"


@pytest.mark.parametrize("text", [
    "cd /srv && pwd", "pwd is /home/jdoe", "Password - Reset Instructions", "Password\nReset your password here",
    "if users pass `dtype=` explicitly", "the user then pass through the gate",
    "parola: ciao",                                   # Italian "word"
    "arn:aws:secretsmanager:us-west-2:123456789012:secret:testsecret",
    '"Cryptography_HAS_PSK": cryptography_has_psk,',
    "const secret = 'abcdefg';",
    "if x == self.secret:\n    response = self.login()",
    "Secret: Unlocking the Mysteries", "docker login --password-stdin -u jdoe",
    "docker login -u jdoe -p $DOCKER_PASSWORD", "smbclient -U jdoe //srv/share",
])
def test_password_like_prose_and_code_stay_public(text):
    res = tag(text)
    assert "api_key" not in {f.detector for f in res.findings}, res.findings


JWT_IO = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
          "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def test_jwt_io_documentation_token_is_public_but_others_are_not():
    assert sens._KEY_JWT_DOC == JWT_IO
    assert tag(f"decode this sample: {JWT_IO}").tier == "public"
    assert tag(f"jwt = \"{JWT_IO}\"").tier == "public"
    assert tag(f"send Bearer {JWT_IO}").tier == "public"
    other = JWT_IO[:-5] + "Xq9Z1"  # another signature: a real token
    assert_secret(f"token {other}", other)


@pytest.mark.parametrize("unit", [
    "KEY=", "psk=", "REDIS_AUTH=", "secret=", "password=", "Bearer " + "a1" * 30 + " ", "pw ", "user x pass ",
    "Password\n", "docker login -u x ", "smbclient -U ", '"key": "a1b2c3d4e5f6a7b8c9d0", ',
])
def test_adversarial_repetitions_stay_fast(unit):
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    t0 = time.process_time()
    list(sens.detect_api_key(text))
    assert time.process_time() - t0 < 1.5  # < 0.6 s here; slack for a loaded machine


@pytest.mark.parametrize("prefix", ["Authorization: Bearer ", "token: ", "jwt = "])
def test_the_jwt_io_sample_is_public_in_a_header_too(prefix):
    """The allowlisted documentation token is blanked before the decode pass, so its decoded
    parts ({"name": "John Doe", ...}) are no findings either; a real token still is."""
    from hrouter.signals.sensitivity import _KEY_JWT_DOC

    assert tag_sensitivity(prefix + _KEY_JWT_DOC, SensitivityConfig()).tier == "public"
    other = _KEY_JWT_DOC[:-8] + "Zx9Qp2Lm"
    assert tag_sensitivity(prefix + other, SensitivityConfig()).tier == "confidential"
