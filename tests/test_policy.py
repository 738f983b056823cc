"""Policy loading: strict validation with file:line:key errors, discovery order, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrouter.errors import PolicyError
from hrouter.policy import BUILTIN_POLICY, discover_policy_path, load_policy, parse_policy, policy_to_dict

MINIMAL = "version: 1\nbackends:\n  a: {kind: ollama, model: m, zone: local}\n"


def err(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, source="p.yaml")
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_builtin_default_loads_with_two_backends():
    p = load_policy(discover=False)
    assert p.source == "<built-in>"
    assert set(p.backends) == {"local", "cloud"}
    assert p.backends["local"].zone == "local" and p.backends["cloud"].zone == "public-cloud"
    assert p.sensitivity.tiers["confidential"] == ("local",)
    assert len(p.digest) == 64


def test_top_level_policies_default_is_the_packaged_one():
    top = Path(__file__).resolve().parent.parent / "policies" / "default.yaml"
    assert top.read_bytes() == BUILTIN_POLICY.read_bytes()


@pytest.mark.parametrize("name", ["strict.yaml", "cost-saver.yaml"])
def test_example_policies_validate(name):
    path = Path(__file__).resolve().parent.parent / "policies" / "examples" / name
    p = load_policy(path)
    assert p.backends


def test_minimal_policy_fills_kind_defaults():
    p = parse_policy(MINIMAL)
    b = p.backends["a"]
    assert b.host == "http://127.0.0.1:11434"
    assert b.price.input_per_mtok == 0 and b.capability == 3
    assert p.complexity.threshold == pytest.approx(0.35)


def test_unknown_key_names_line_and_suggests():
    msg = err("version: 1\nbackends:\n  a:\n    kind: ollama\n    modle: m\n    zone: local\n")
    assert msg.startswith("p.yaml:5: backends.a.modle: unknown key") and "did you mean 'model'" in msg


def test_bad_zone_value():
    msg = err("version: 1\nbackends:\n  a:\n    kind: ollama\n    model: m\n    zone: lokal\n")
    assert msg == "p.yaml:6: backends.a.zone: must be one of local, private-cloud, public-cloud (got 'lokal')"


def test_wrong_type_names_key():
    msg = err(MINIMAL + "complexity:\n  threshold: high\n")
    assert msg.startswith("p.yaml:5: complexity.threshold: must be a number")


def test_out_of_range():
    assert "must be <= 1" in err(MINIMAL + "complexity:\n  threshold: 1.5\n")
    assert "must be >= 0" in err(MINIMAL + "budget:\n  per_request_usd: -1\n")


def test_duplicate_key():
    assert err(MINIMAL + "budget: {}\nbudget: {}\n").startswith("p.yaml:5: budget: duplicate key")


def test_yaml_syntax_error_has_line():
    assert err("version: 1\nbackends: [\n").startswith("p.yaml:3: invalid YAML")


def test_missing_required():
    assert "backends: missing" in err("version: 1\n")
    assert "version: missing" in err("backends:\n  a: {kind: ollama, model: m, zone: local}\n")
    assert "backends.a.zone: missing" in err("version: 1\nbackends:\n  a: {kind: ollama, model: m}\n")


def test_empty_file():
    assert "empty policy" in err("")


def test_host_only_for_ollama():
    assert "only for kind ollama" in err(
        "version: 1\nbackends:\n  c: {kind: anthropic, model: m, zone: public-cloud, host: http://x}\n")


def test_confidential_can_never_widen_to_cloud():
    msg = err(MINIMAL + "sensitivity:\n  tiers:\n    confidential: [local, public-cloud]\n")
    assert "confidential prompts may never reach public-cloud" in msg
    assert "internal prompts may never reach public-cloud" in err(
        MINIMAL + "sensitivity:\n  tiers:\n    internal: [public-cloud]\n")


def test_custom_rules_validated():
    assert "invalid regex" in err(MINIMAL + "sensitivity:\n  custom:\n    - {name: x, tier: internal, pattern: '('}\n")
    assert "matches the empty string" in err(MINIMAL + "sensitivity:\n  custom:\n    - {name: x, tier: internal, pattern: 'a*'}\n")
    assert "exactly one of" in err(MINIMAL + "sensitivity:\n  custom:\n    - {name: x, tier: internal}\n")
    p = parse_policy(MINIMAL + "sensitivity:\n  custom:\n    - {name: code, tier: internal, keywords: [BLUEHERON]}\n")
    assert p.sensitivity.custom[0].keywords == ("BLUEHERON",)


def test_detector_off_and_bad_tier():
    p = parse_policy(MINIMAL + "sensitivity:\n  detectors:\n    email: off\n")
    assert "email" not in p.sensitivity.detectors
    assert "must be a tier" in err(MINIMAL + "sensitivity:\n  detectors:\n    email: secret\n")


def test_not_utf8():
    with pytest.raises(PolicyError, match="not valid UTF-8"):
        parse_policy(b"version: 1\n\xff\n", source="p.yaml")


def test_discovery_order(tmp_path, monkeypatch, hrouter_home):
    assert discover_policy_path() is None  # nothing anywhere: built-in
    user = hrouter_home / "config" / "hrouter.yaml"
    user.parent.mkdir(parents=True)
    user.write_text(MINIMAL)
    assert discover_policy_path() == user
    (tmp_path / "hrouter.yaml").write_text(MINIMAL)
    assert discover_policy_path() == Path("hrouter.yaml")
    monkeypatch.setenv("HROUTER_POLICY", str(tmp_path / "env.yaml"))
    assert discover_policy_path() == tmp_path / "env.yaml"
    assert discover_policy_path("explicit.yaml") == Path("explicit.yaml")
    with pytest.raises(PolicyError, match="env.yaml: policy file not found"):
        load_policy()


def test_policy_to_dict_round_trips_through_yaml():
    import yaml
    data = policy_to_dict(load_policy(discover=False))
    again = parse_policy(yaml.safe_dump(data))
    assert again.backends == load_policy(discover=False).backends


def test_non_finite_numbers_rejected():
    assert "must be a finite number" in err("version: 1\nbackends:\n  a: {kind: ollama, model: m, zone: local, ttft_ms: .inf}\n")
    assert "must be a finite number" in err(MINIMAL + "budget:\n  per_request_usd: .nan\n")


def test_bad_urls_rejected_at_validation():
    for host, why in (('"http://[::1"', "Invalid IPv6 URL"), ('"http://127.0.0.1:99999"', "Port out of range"),
                      ('"http://"', "URL has no host"), ('"ftp://x"', "scheme must be http")):
        assert why in err(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local, host: {host}}}\n")


def test_non_public_anthropic_needs_base_url():
    msg = err("version: 1\nbackends:\n  a: {kind: anthropic, model: m, zone: local}\n")
    assert "needs an explicit base_url" in msg
    p = parse_policy("version: 1\nbackends:\n  a: {kind: anthropic, model: m, zone: private-cloud, "
                     "base_url: 'https://llm.corp.example'}\n")
    assert p.backends["a"].zone == "private-cloud"


def test_control_characters_rejected():
    assert "control characters" in err('version: 1\nbackends:\n  a: {kind: ollama, model: "m\\e[31m", zone: local}\n')


def test_openai_kind_needs_base_url_and_a_variable_name_for_its_key():
    p = parse_policy("version: 1\nbackends:\n  v: {kind: openai, model: m, zone: local, "
                     "base_url: 'http://127.0.0.1:8000/v1'}\n  o: {kind: openai, model: gpt, zone: public-cloud, "
                     "base_url: 'https://api.openai.com/v1', api_key_env: OPENAI_API_KEY}\n")
    assert p.backends["o"].api_key_env == "OPENAI_API_KEY" and p.backends["v"].api_key_env is None
    assert "missing (required for kind openai" in err("version: 1\nbackends:\n  v: {kind: openai, model: m, zone: local}\n")
    assert "must be an environment variable name" in err(
        "version: 1\nbackends:\n  o: {kind: openai, model: m, zone: public-cloud, base_url: 'https://x.io/v1', "
        "api_key_env: 'sk-live-abc 123'}\n")


def test_public_host_declared_local_warns_or_fails_when_strict():
    text = ("backends:\n  a: {kind: ollama, model: m, zone: local, host: 'http://8.8.8.8:11434'}\n"
            "  b: {kind: ollama, model: m, zone: local, host: 'http://10.1.2.3:11434'}\n"
            "  c: {kind: openai, model: m, zone: local, base_url: 'http://localhost:8000/v1'}\n")
    p = parse_policy("version: 1\n" + text)
    assert p.warnings == ("backends.a: declared zone local, but 8.8.8.8 is not a loopback or private address: "
                          "confidential prompts would leave the machine",)
    msg = err("version: 1\nstrict_zones: true\n" + text)
    assert msg.startswith("p.yaml:4: backends.a.zone: declared zone local, but 8.8.8.8") and "strict_zones" in msg


@pytest.mark.parametrize("host, public", [
    ("http://134744072:11434", True),       # 8.8.8.8 written as one integer: HTTP clients connect to it
    ("http://0x08080808:11434", True),      # the same in hex
    ("http://8.8.8.8:11434", True),
    ("http://2130706433:11434", False),     # 127.0.0.1
    ("http://127.1:11434", False),
    ("http://0177.0.0.1:11434", False),     # octal 127.0.0.1
    ("http://100.101.102.103:11434", False),  # RFC 6598 shared space (CGNAT, tailnets)
    ("http://gpu-box:11434", False),        # a single-label name
    ("http://1e100.net:11434", True),       # a public name that starts with a digit
    ("http://8\u30028\u30028\u30028:11434", True),   # ideographic full stops: httpx's IDNA makes 8.8.8.8
    ("http://93\uff0e184\uff0e216\uff0e34/v1", True),  # fullwidth full stops
    ("http://\uff18.\uff18.\uff18.\uff18", True),    # fullwidth digits
    ("http://api\u3002openai\u3002com/v1", True),
    ("http://[2001:4:112::6]:11434", True),   # AS112 anycast: is_private on some Pythons (CVE-2024-4032)
    ("http://[2001::1]:11434", True),         # Teredo
    ("http://[::ffff:8.8.8.8]:11434", True),  # IPv4-mapped public address
    ("http://[::ffff:10.0.0.1]:11434", False),
    ("http://[fd12:3456::1]:11434", False),   # unique-local (RFC 4193)
    ("http://203.0.113.5:11434", True),       # documentation range: not a private network
    ("http://172.32.0.1:11434", True),        # just outside 172.16.0.0/12
])
def test_zone_check_reads_numeric_hosts_as_the_resolver_does(host, public):
    from hrouter.policy import zone_mismatch
    from hrouter.policy_model import BackendConfig
    found = zone_mismatch(BackendConfig(kind="ollama", model="m", zone="local", host=host))
    assert (found is not None) == public, found


@pytest.mark.parametrize("host, message", [
    ("http://134744072:1", "write an IPv4 address as four decimal numbers"),
    ("http://0177.0.0.1:1", "write an IPv4 address as four decimal numbers"),   # httpx refuses it at ask time
    ("http://8\u30028\u30028\u30028:1", "write the host in plain ASCII ('8.8.8.8')"),
    ("http://\u2112ocalhost:1", "write the host in plain ASCII ('localhost')"),
    ("http://\u2460\u2461\u2466.0.0.1:1", "write the host in plain ASCII ('127.0.0.1')"),
])
def test_hosts_in_ambiguous_forms_are_refused_at_load(host, message):
    """Forms that clients read differently (or refuse) are refused with file:line:key, in any
    zone, so the zone check and the HTTP client always see one and the same host."""
    text = ("version: 1\nbackends:\n  local:\n    kind: ollama\n    model: m\n    zone: local\n"
            f"    hosts: [http://127.0.0.1:1, '{host}']\n")
    with pytest.raises(PolicyError) as info:
        parse_policy(text, source="p.yaml")
    assert "p.yaml:7: backends.local.hosts[1]" in str(info.value) and message in str(info.value)


def test_a_real_internationalised_name_is_accepted_and_zone_checked():
    p = parse_policy("version: 1\nbackends:\n  l: {kind: ollama, model: m, zone: local, host: 'http://b\u00fccher.example:1'}\n")
    assert p.warnings and "is not a loopback or private address" in p.warnings[0]
