"""api_key: command-line credentials, URL userinfo without a user, Azure connection strings,
more provider prefixes and password labels in more languages (positives and negatives)."""

from __future__ import annotations

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity

PW = "Tr0ub4dor3"
PW2 = "Tr0ub4dor&3"
HEX32 = "0123456789abcdef0123456789abcdef"
HEX64 = HEX32 * 2
ALNUM = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"

SECRETS = [
    # (text, the raw secret that must not appear in any preview)
    (f"curl -u admin:{PW} https://api.x.com", PW),
    (f"curl --user 'deploy:{PW}' https://api.x.com", PW),
    (f"curl -X POST -H 'Content-Type: application/json' -d '{{\"a\": 1}}' -u admin:{PW} https://x", PW),
    (f"mysql -u root -p{PW} prod", PW),
    (f"mysqldump -h db -u root -p'{PW}' app > dump.sql", PW),
    (f"sshpass -p {PW} ssh root@10.0.0.1", PW),
    (f"sshpass -p{PW} ssh root@10.0.0.1", PW),
    (f"login: admin / {PW2}", PW2),
    (f"creds admin:{PW2}", PW2),
    (f"redis://:{PW}@cache:6379", PW),
    ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6"
     "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net",
     "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6"),
    ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
     "SharedAccessKey=Xy9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd=", "Xy9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd="),
    ("token glpat-AbCdE12345fGhIj6789 ok", "AbCdE12345fGhIj6789"),
    ("token glpat-AbCdE12345fGhIj67890.", "AbCdE12345fGhIj67890"),
    ("post to https://hooks.slack.com/services/T024BE7LD/B01A2B3C4D5/AbCdEfGhIjKlMnOpQrStUvWx now",
     "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("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", "ngeVfQFYQlKU0ufo8x5d1A"),
    (f"shop shpat_{HEX32}", HEX32),
    (f"shop shpss_{HEX32}", HEX32),
    (f"do dop_v1_{HEX64}", HEX64),
    (f"grok xai-{(ALNUM * 3)[:80]}", (ALNUM * 3)[:80]),
    (f"groq gsk_{(ALNUM * 2)[:52]}", (ALNUM * 2)[:52]),
    ("AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQY", "QYQSZQGPQYQSZQGP"),
    ("stripe sk_test_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("stripe rk_test_51HxYzAbCdEfGhIjKlMnOp", "51HxYzAbCdEfGhIjKlMnOp"),
    (f"mot de passe : {PW2}", PW2),
    (f"senha: {PW2}", PW2),
    (f"a senha é {PW2}", PW2),
    (f"wachtwoord: {PW2}", PW2),
    (f"het wachtwoord is {PW2}", PW2),
    (f"hasło: {PW2}", PW2),
    (f"la password è {PW2}", PW2),
    (f"Passwort: {PW2}", PW2),
    (f"contraseña: {PW2}", PW2),
]


@pytest.mark.parametrize("text,raw", SECRETS, ids=[t[:40] for t, _ in SECRETS])
def test_secret_is_confidential_and_masked(text, raw):
    res = tag_sensitivity(text, SensitivityConfig())
    assert res.tier == "confidential", text
    found = [f for f in res.findings if f.detector == "api_key"]
    assert found, res.findings
    for f in found:
        assert raw not in f.masked and raw[:8] not in f.masked, f.masked
        assert "…" in f.masked


PUBLIC = [
    "def f(headers=None, credentials=None):",
    'curl -u "$USER:$PASS" https://api.x.com',
    "curl -u admin https://api.x.com",
    "mysql -u root -p prod",
    "mysql -u root -p$MYSQL_PWD prod",
    "mysql -u root -P3306 -h db prod",
    "usage: mysql [-u user] [-p[password]] db",
    "sshpass -f ~/.pw ssh host",
    "docker run -u 1000:1000 image",
    "redis://cache:6379",
    "password: ${DB_PASSWORD}",
    "AccountKey=${AZURE_STORAGE_KEY}",
    "SharedAccessKey=<your-key>",
    "glpat-xxxxxxxxxxxxxxxxxxxx",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "the password is incorrect",
    "login: https://example.org/login",
    "login page: foo/bar",
    "The login: db.internal:5432/app",
    "Use the login/logout buttons on the login / signup page",
    "SG.com is a site",
    "def my_test_function(): pass",
    "the xai-grok-2 model and gsk_short",
    "shpat_notahexvalue",
    "Use hasło: ******** here",
]


@pytest.mark.parametrize("text", PUBLIC)
def test_not_a_secret(text):
    res = tag_sensitivity(text, SensitivityConfig())
    assert not [f for f in res.findings if f.detector == "api_key"], res.findings
    assert res.tier == "public", (text, res.findings)


@pytest.mark.parametrize("text", [
    "token: ident", "token = lifetime", "api_key: production", "auth_token: bearer", "client_secret: hunter",
    "| Token | Meaning |\n|---|---|\n| ident | an identifier |\n| lifetime | a lifetime |\n",
])
def test_a_token_or_key_that_is_one_short_word_is_no_credential(text):
    """A lexer's tokens and config enum values: a generated token or key is never one word."""
    assert tag_sensitivity(text, SensitivityConfig()).tier == "public"


@pytest.mark.parametrize("text", [
    "password: admin", "pwd=hunter", "Passwort: sommer", "contraseña: verano", "mot de passe: soleil",
    "DB_PASS=admin", "passphrase: correcthorse", "next_token: abc123XYZ", "secret: Tr0ub4dor&3",
])
def test_passwords_stay_credentials_even_as_one_word(text):
    res = tag_sensitivity(text, SensitivityConfig())
    assert res.tier == "confidential" and [f.detector for f in res.findings] == ["api_key"]
