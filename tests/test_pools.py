"""Backend pools (``hosts: [...]``): least-loaded host choice, per-host cooldowns shared across
processes, failover inside the pool before the next backend, and the zone rules on every host.

Everything runs against real loopback servers (FakeOllama, FakeAnthropic, FakeOpenAI) through
the real clients; a "down" host is a loopback port nothing listens on.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from clitools import audit_records, run_cli
from fakes import FakeAnthropic, FakeOllama, free_port
from hrouter import Router
from hrouter.core import HostState, order_hosts
from hrouter.errors import BackendUnavailable, PolicyError
from hrouter.policy import parse_policy
from hrouter.policy_model import host_key
from hrouter.prompt import Prompt
from hrouter.router import RouteContext
from hrouter.state import StateDB

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
SIMPLE = "What is the capital of France?"
COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
CONFIDENTIAL = "Summarize the contract for SSN 123-45-6789"
MODEL = "llama3.2:3b"


def pool_policy(tmp_path, hosts: list[str], *, cloud_url: str | None = None, local_extra: str = "",
                extra: str = "", name: str = "pool.yaml"):
    """A policy with a ``local`` Ollama pool over ``hosts`` (and a ``cloud`` Anthropic backend)."""
    text = f"""version: 1
backends:
  local:
    kind: ollama
    model: {MODEL}
    hosts: [{', '.join(hosts)}]
    zone: local
    capability: 3
    timeout_s: 10
    connect_timeout_s: 2
{local_extra}"""
    if cloud_url:
        text += f"""  cloud:
    kind: anthropic
    model: claude-sonnet-4-6
    base_url: {cloud_url}
    zone: public-cloud
    price: {{input_per_mtok: 3.0, output_per_mtok: 15.0}}
    capability: 9
    timeout_s: 10
    connect_timeout_s: 2
"""
    path = tmp_path / name
    path.write_text(text + extra)
    return path


def chats(fake) -> int:
    return len(fake.requests_to("/api/chat"))


def router_for(path) -> Router:
    return Router.from_policy_file(path)


# --------------------------------------------------------------------------- selection and failover

def test_down_host_is_cooled_down_and_skipped_by_the_next_process(tmp_path, hrouter_home):
    down = f"http://127.0.0.1:{free_port()}"
    with FakeOllama(chunks=["from a"]) as a, FakeOllama(chunks=["from b"]) as b:
        p = pool_policy(tmp_path, [down, a.url, b.url])
        r1 = router_for(p)
        result = r1.ask(Prompt(SIMPLE), RouteContext(session="t"))
        r1.close()
        # fresh state: policy order, so the down host is tried first, fails to connect, then a serves
        assert [(x.host, x.status, x.sent) for x in result.attempts] == [
            (down, "BackendUnavailable", False), (a.url, "ok", True)]
        assert result.host == a.url and result.completion == "from a" and result.backend == "local"
        assert (chats(a), chats(b)) == (1, 0)
        with StateDB.open_default() as db:  # the cooldown is in the shared state db, per host
            cd = db.cooldown(host_key("local", down))
            assert cd is not None and cd.reason == "unreachable" and 25 < cd.remaining_s() <= 30
            assert db.cooldown(host_key("local", a.url)) is None and db.cooldown("local") is None
            assert db.latency_stats(host_key("local", a.url)).ok_count == 1
            assert db.latency_stats("local").ok_count == 1  # the backend-level sample for the SLA rule

        # another process: skips the cooled-down host; b has no sample yet, so it is tried before a
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE])
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["host"] == b.url and out["completion"] == "from b"
        assert [(x["host"], x["status"]) for x in out["attempts"]] == [(b.url, "ok")]
        assert (chats(a), chats(b)) == (1, 1)
        assert f"local @ {b.url}".encode() in r.stderr

        # a third Router (new StateDB on the same file): still never the down host
        r3 = router_for(p)
        result = r3.ask(Prompt(SIMPLE), RouteContext(session="t"))
        r3.close()
        assert [x.host for x in result.attempts] in ([a.url], [b.url])
        assert chats(a) + chats(b) == 3

        # the audit records name the serving host, and the failed attempt's host
        recs = [x for x in audit_records(hrouter_home) if x["type"] == "request"]
        assert [x["host"] for x in recs[:2]] == [a.url, b.url]
        assert recs[0]["attempts"][0]["host"] == down and recs[0]["attempts"][0]["status"] == "BackendUnavailable"
        dispatch = [x for x in audit_records(hrouter_home) if x["type"] == "dispatch"]
        assert dispatch[0]["host"] == down and dispatch[1]["host"] == a.url

        # explain and backends show the per-host state
        d = json.loads(run_cli(["explain", "--json", "--policy", str(p), SIMPLE]).stdout)
        pool = d["considerations"]["pools"]["local"]
        assert pool[-1]["url"] == down and "unreachable" in pool[-1]["cooldown"]
        assert {h["url"] for h in pool[:2]} == {a.url, b.url} and sorted(h["samples"] for h in pool[:2]) == [1, 2]
        assert d["backend"] == "local" and d["rule"] != "cooldown"  # one host down: the pool is fine
        r = run_cli(["explain", "--policy", str(p), SIMPLE])
        assert b"pool local (hosts in the order they would be tried)" in r.stderr and b"cooling down" in r.stderr
        row = json.loads(run_cli(["backends", "--json", "--policy", str(p)]).stdout)
        assert [h["url"] for h in row["hosts"]] == [down, a.url, b.url]
        assert row["hosts"][0]["cooldown"].startswith("unreachable; ") and row["hosts"][0]["inflight"] == 0
        assert row["cooldown"] is None and row["inflight"] == 0
        r = run_cli(["backends", "--policy", str(p)])
        assert r.returncode == 0 and f"  {down}".encode() in r.stdout


def test_least_loaded_host_is_chosen_by_in_flight_slots(tmp_path):
    with FakeOllama(chunks=["a"]) as a, FakeOllama(chunks=["b"]) as b, FakeOllama(chunks=["c"]) as c:
        p = pool_policy(tmp_path, [a.url, b.url, c.url])
        db = StateDB.open_default()
        held = [db.begin_request(host_key("local", a.url)), db.begin_request(host_key("local", a.url)),
                db.begin_request(host_key("local", b.url))]
        d = json.loads(run_cli(["explain", "--json", "--policy", str(p), SIMPLE]).stdout)
        assert [(h["url"], h["inflight"]) for h in d["considerations"]["pools"]["local"]] == [
            (c.url, 0), (b.url, 1), (a.url, 2)]
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE])
        assert json.loads(r.stdout)["host"] == c.url and (chats(a), chats(b), chats(c)) == (0, 0, 1)
        assert db.inflight(host_key("local", c.url)) == 0  # its own slot was released
        db.end_request(held[0])  # a: 1, b: 1, c: 0 with a sample -> c is still the least loaded
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE])
        assert json.loads(r.stdout)["host"] == c.url
        db.begin_request(host_key("local", c.url))
        db.begin_request(host_key("local", c.url))
        # a 1, b 1, c 2: a and b tie on load and are both unmeasured, so policy order decides: a
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE])
        assert json.loads(r.stdout)["host"] == a.url and (chats(a), chats(b), chats(c)) == (1, 0, 2)
        db.close()


def test_concurrent_asks_spread_over_the_pool(tmp_path):
    with FakeOllama(chunks=["a"], first_chunk_delay_s=1.0) as a, FakeOllama(chunks=["b"], first_chunk_delay_s=1.0) as b:
        p = pool_policy(tmp_path, [a.url, b.url])
        results = []

        def one():
            r = router_for(p)
            try:
                results.append(r.ask(Prompt(SIMPLE), RouteContext(session="t")))
            finally:
                r.close()

        first = threading.Thread(target=one)
        first.start()
        deadline = time.monotonic() + 10
        while not (chats(a) or chats(b)) and time.monotonic() < deadline:
            time.sleep(0.02)
        second = threading.Thread(target=one)  # the first is still in flight on a: b is less loaded
        second.start()
        first.join(20)
        second.join(20)
        assert sorted(r.host for r in results) == sorted([a.url, b.url])
        assert (chats(a), chats(b)) == (1, 1)


def test_ties_prefer_unmeasured_then_fastest_host():
    def st(url, i, **kw):
        return HostState(url=url, key=url, index=i, **kw)
    states = [st("a", 0, ttft_p50_ms=90.0, samples=3), st("b", 1, ttft_p50_ms=20.0, samples=3),
              st("c", 2, inflight=1), st("d", 3), st("e", 4, cooldown="HTTP 503", cooldown_left_s=5.0),
              st("f", 5, cooldown="unreachable", cooldown_left_s=2.0), st("g", 6, server_load=4)]
    assert [s.url for s in order_hosts(states)] == ["d", "b", "a", "c", "g", "f", "e"]


def test_503_on_one_host_tries_the_next_host_before_the_next_backend(tmp_path):
    with FakeOllama(chunks=["a"]) as a, FakeOllama(chunks=["b"]) as b, FakeAnthropic(chunks=["cloud"]) as cloud:
        p = pool_policy(tmp_path, [a.url, b.url], cloud_url=cloud.url)
        a.fail_next(503)
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE], env=KEY)
        out = json.loads(r.stdout)
        assert r.returncode == 0 and out["host"] == b.url and out["completion"] == "b"
        assert [(x["host"], x.get("http_status")) for x in out["attempts"]] == [(a.url, 503), (b.url, None)]
        assert cloud.requests == []
        assert b"local unavailable" in r.stderr and b"trying its next host" in r.stderr
        with StateDB.open_default() as db:
            assert db.cooldown(host_key("local", a.url)).reason == "HTTP 503"


def test_failure_after_the_first_token_is_not_retried_on_another_host(tmp_path):
    with FakeOllama(chunks=["one ", "two ", "three"], error_after=1) as a, FakeOllama(chunks=["b"]) as b:
        p = pool_policy(tmp_path, [a.url, b.url])
        r = run_cli(["ask", "--policy", str(p), SIMPLE])
        assert r.returncode == 1 and r.stdout == b"one \n" and b"after the answer began" in r.stderr
        assert (chats(a), chats(b)) == (1, 0)


def test_all_hosts_down_falls_back_to_cloud_then_the_pool_counts_as_cooling_down(tmp_path):
    downs = [f"http://127.0.0.1:{free_port()}" for _ in range(3)]
    with FakeAnthropic(chunks=["cloud answer"]) as cloud:
        p = pool_policy(tmp_path, downs, cloud_url=cloud.url)
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE], env=KEY)
        out = json.loads(r.stdout)
        assert r.returncode == 0 and out["backend"] == "cloud" and out["host"] is None
        assert [(x["backend"], x.get("host"), x["status"]) for x in out["attempts"]] == [
            ("local", downs[0], "BackendUnavailable"), ("local", downs[1], "BackendUnavailable"),
            ("local", downs[2], "BackendUnavailable"), ("cloud", None, "ok")]
        assert len(cloud.requests_to("/v1/messages")) == 1
        d = json.loads(run_cli(["explain", "--json", "--policy", str(p), SIMPLE]).stdout)
        assert d["backend"] == "cloud" and d["rule"] == "cooldown" and d["fallbacks"] == ["local"]
        assert d["considerations"]["capacity"]["cooldowns"]["local"].startswith("all 3 hosts of the pool failing; ")


def test_all_hosts_down_without_a_fallback_exits_4(tmp_path):
    downs = [f"http://127.0.0.1:{free_port()}" for _ in range(3)]
    p = pool_policy(tmp_path, downs)
    r = run_cli(["ask", "--policy", str(p), SIMPLE])
    assert r.returncode == 4 and r.stdout == b""
    err = r.stderr.decode()
    assert "no permitted backend reachable (local)" in err and all(u in err for u in downs)
    # the library raises the same, naming every host tried
    router = router_for(p)
    with pytest.raises(BackendUnavailable) as exc:
        router.ask(Prompt(SIMPLE))
    router.close()
    assert exc.value.exit_status == 4


def test_confidential_prompt_with_local_pool_down_never_reaches_the_cloud(tmp_path, hrouter_home):
    downs = [f"http://127.0.0.1:{free_port()}" for _ in range(3)]
    with FakeAnthropic(chunks=["cloud"]) as cloud:
        p = pool_policy(tmp_path, downs, cloud_url=cloud.url)
        for _ in range(2):  # the second time every host is cooling down: still local only
            r = run_cli(["ask", "--policy", str(p), CONFIDENTIAL], env=KEY)
            assert r.returncode == 4 and r.stdout == b""
        assert cloud.requests == []
        recs = [x for x in audit_records(hrouter_home) if x["type"] == "request"]
        assert all(not x["cloud_egress"] and {a["backend"] for a in x["attempts"]} == {"local"} for x in recs)
        assert [len(x["attempts"]) for x in recs] == [3, 3]
        assert not [x for x in audit_records(hrouter_home) if x["type"] == "egress"]


def test_pool_max_inflight_is_per_host(tmp_path):
    with FakeOllama(chunks=["a"]) as a, FakeOllama(chunks=["b"]) as b, FakeAnthropic(chunks=["cloud"]) as cloud:
        p = pool_policy(tmp_path, [a.url, b.url], cloud_url=cloud.url, local_extra="    max_inflight: 1\n",
                        extra="dispatch:\n  wait_s: 0.3\n")
        with StateDB.open_default() as db:
            held = db.begin_request(host_key("local", a.url))
            r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE], env=KEY)  # b still has room
            assert json.loads(r.stdout)["host"] == b.url
            db.begin_request(host_key("local", b.url))
            d = json.loads(run_cli(["explain", "--json", "--policy", str(p), SIMPLE]).stdout)
            assert d["rule"] == "capacity.spill" and d["backend"] == "cloud"
            assert d["considerations"]["capacity"]["inflight"]["local"] == 1
            r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE], env=KEY)  # public: spills to the cloud
            assert json.loads(r.stdout)["backend"] == "cloud"
            r = run_cli(["ask", "--policy", str(p), CONFIDENTIAL], env=KEY)  # confidential: waits, then refused
            assert r.returncode == 3 and b"every host of local is at max_inflight (1 per host)" in r.stderr
            assert len(cloud.requests_to("/v1/messages")) == 1
            db.end_request(held)
            r = run_cli(["ask", "--json", "--policy", str(p), CONFIDENTIAL], env=KEY)
            assert json.loads(r.stdout)["host"] == a.url
        assert (chats(a), chats(b)) == (1, 1)


def test_openai_pool_fails_over_to_its_next_base_url(tmp_path):
    pytest.importorskip("openai", reason="the openai extra is not installed (pip install 'hrouter[openai]')")
    from fake_openai import FakeOpenAI
    down = f"http://127.0.0.1:{free_port()}/v1"
    with FakeOpenAI(chunks=["vl", "lm"]) as up:
        p = tmp_path / "oa.yaml"
        p.write_text(f"""version: 1
backends:
  gpu:
    kind: openai
    model: qwen
    hosts: [{down}, {up.url}]
    zone: local
    connect_timeout_s: 2
""")
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE])
        out = json.loads(r.stdout)
        assert r.returncode == 0 and out["completion"] == "vllm" and out["host"] == up.url
        assert out["usage"]["input_tokens"] == 17 and [x["host"] for x in out["attempts"]] == [down, up.url]
        assert len(up.requests_to("/v1/chat/completions")) == 1


# --------------------------------------------------------------------------- doctor

def test_doctor_checks_every_host(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    with FakeOllama(models=[MODEL]) as a, FakeOllama(models=["mistral"]) as b:
        p = pool_policy(tmp_path, [a.url, b.url, down])
        r = run_cli(["doctor", "--json", "--policy", str(p)])
        d = json.loads(r.stdout)
        checks = {c["name"]: c for c in d["checks"]}
        assert r.returncode == 0 and d["ok"], r.stdout  # one host ready: the pool serves
        head = checks["backend local (ollama, local)"]
        assert head["ok"] and head["required"] and head["detail"] == "pool: 1 of 3 hosts ready"
        assert checks[f"backend local host {a.url}"]["ok"]
        bad = checks[f"backend local host {b.url}"]
        assert not bad["ok"] and not bad["required"] and "ollama pull llama3.2:3b" in bad["detail"]
        assert not checks[f"backend local host {down}"]["ok"]
    r = run_cli(["doctor", "--json", "--policy", str(p)])  # now every host is down
    head = next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "backend local (ollama, local)")
    assert r.returncode == 1 and not head["ok"] and head["detail"].startswith("pool: 0 of 3 hosts ready")


# --------------------------------------------------------------------------- policy validation

BASE = """version: 1
backends:
  local:
    kind: ollama
    model: m
    zone: local
"""


def policy_error(text: str) -> str:
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, source="p.yaml")
    return str(exc.value)


def test_pool_policy_validation_errors_name_file_line_key():
    assert policy_error(BASE + "    hosts: []\n") == "p.yaml:7: backends.local.hosts: must list at least one host"
    msg = policy_error(BASE + "    hosts:\n      - http://127.0.0.1:11434\n      - 127.0.0.1\n")
    assert msg == ("p.yaml:9: backends.local.hosts[1]: duplicate host '127.0.0.1' (same server as hosts[0])")
    msg = policy_error(BASE + "    host: http://10.0.0.1:11434\n    hosts: [http://10.0.0.2:11434]\n")
    assert msg == "p.yaml:7: backends.local.host: give either host (one server) or hosts (a pool), not both"
    assert policy_error(BASE + "    hosts: http://10.0.0.2:11434\n").startswith(
        "p.yaml:7: backends.local.hosts: must be a list of host URLs")
    assert policy_error(BASE + "    hosts: [ftp://10.0.0.2]\n").startswith(
        "p.yaml:7: backends.local.hosts[0]: scheme must be http or https")
    oa = "version: 1\nbackends:\n  g:\n    kind: openai\n    model: m\n    zone: local\n"
    msg = policy_error(oa + "    base_url: http://10.0.0.1/v1\n    hosts: [http://10.0.0.2/v1]\n")
    assert msg == "p.yaml:7: backends.g.base_url: give either base_url (one server) or hosts (a pool), not both"
    assert policy_error(oa + "    hosts: [http://10.0.0.2/v1, 'http://10.0.0.2:80/v1/']\n").startswith(
        "p.yaml:7: backends.g.hosts[1]: duplicate host")
    assert policy_error(oa + "    hosts: [10.0.0.2:8000]\n").startswith("p.yaml:7: backends.g.hosts[0]: must be an http(s) URL")
    msg = policy_error(oa + "    hosts: [http://10.0.0.2/v1]\n    load_metrics: vllm\n"
                            "    metrics_url: http://10.0.0.2/metrics\n")
    assert msg.startswith("p.yaml:9: backends.g.metrics_url: names one server")


def test_pool_policy_values_and_zone_check_on_every_host():
    p = parse_policy(BASE + "    hosts: [http://10.0.0.1:11434, 'gpu2.lan:11434']\n")
    cfg = p.backends["local"]
    assert cfg.hosts == ("http://10.0.0.1:11434", "gpu2.lan:11434") and cfg.host is None and not p.warnings
    assert cfg.for_host("gpu2.lan:11434").host == "gpu2.lan:11434" and cfg.for_host("x").hosts == ()
    assert cfg.endpoints == cfg.hosts
    # one public host in a local pool: a warning naming it...
    p = parse_policy(BASE + "    hosts: [http://10.0.0.1:11434, http://8.8.4.4:11434]\n")
    assert len(p.warnings) == 1 and "8.8.4.4" in p.warnings[0] and "backends.local" in p.warnings[0]
    # ...and an error with strict_zones
    msg = policy_error(BASE + "    hosts: [http://10.0.0.1:11434, http://8.8.4.4:11434]\nstrict_zones: true\n")
    assert msg.startswith("p.yaml:3: backends.local.zone: declared zone local, but 8.8.4.4 is not a loopback")
    assert "(strict_zones: true)" in msg
    oa = parse_policy("version: 1\nbackends:\n  g: {kind: openai, model: m, zone: local, "
                      "hosts: ['http://127.0.0.1:8001/v1', 'http://127.0.0.1:8002/v1']}\n")
    assert oa.backends["g"].base_url is None and oa.backends["g"].for_host(
        "http://127.0.0.1:8002/v1").base_url == "http://127.0.0.1:8002/v1"
    # an anthropic pool counts as an explicit base_url (private-cloud gateways)
    an = parse_policy("version: 1\nbackends:\n  c: {kind: anthropic, model: m, zone: private-cloud, "
                      "hosts: ['https://gw1.corp.example', 'https://gw2.corp.example']}\n")
    assert len(an.backends["c"].hosts) == 2


def test_policy_show_and_validate_with_a_pool(tmp_path):
    p = pool_policy(tmp_path, ["http://127.0.0.1:11434", "http://127.0.0.1:11435"])
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 0 and b"ok:" in r.stdout
    local = json.loads(run_cli(["policy", "show", "--json", "--policy", str(p)]).stdout)["policy"]["backends"]["local"]
    assert local["hosts"] == ["http://127.0.0.1:11434", "http://127.0.0.1:11435"] and "host" not in local
    r = run_cli(["policy", "show", "--policy", str(p)])
    assert r.returncode == 0 and b"hosts:" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(p.read_text().replace("zone: local", "zone: local\n    host: http://127.0.0.1:1"))
    r = run_cli(["policy", "validate", str(bad)])
    assert r.returncode == 2 and f"{bad}:8: backends.local.host: give either host".encode() in r.stderr


def test_model_missing_on_one_host_tries_the_next_host(tmp_path):
    """Pools drift: a host without the model (404) is cooled down and the next host serves; when the
    model is on no host, the request stops (a policy error, as for one server), never the cloud."""
    with FakeOllama(models=["other:1b"], chunks=["a"]) as a, FakeOllama(models=[MODEL], chunks=["b"]) as b, \
            FakeAnthropic(chunks=["cloud"]) as cloud:
        p = pool_policy(tmp_path, [a.url, b.url], cloud_url=cloud.url)
        r = run_cli(["ask", "--json", "--policy", str(p), SIMPLE], env=KEY)
        out = json.loads(r.stdout)
        assert r.returncode == 0 and out["host"] == b.url and out["completion"] == "b"
        assert [(x["host"], x.get("http_status")) for x in out["attempts"]] == [(a.url, 404), (b.url, None)]
        with StateDB.open_default() as db:
            assert db.cooldown(host_key("local", a.url)).reason == "HTTP 404 (model not on this host)"
        assert cloud.requests == []
    with FakeOllama(models=["other:1b"]) as a, FakeOllama(models=["other:1b"]) as b, FakeAnthropic() as cloud:
        p = pool_policy(tmp_path, [a.url, b.url], cloud_url=cloud.url, name="p2.yaml")
        r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
        assert r.returncode == 1 and cloud.requests == []
        assert chats(a) + chats(b) == 2
