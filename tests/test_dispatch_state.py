"""Budgets, capacity, cooldowns and measured latency across real hrouter processes (state db)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from clitools import ROOT, audit_records, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
SIMPLE = "What is the capital of France?"
CONFIDENTIAL = "Summarize the contract for SSN 123-45-6789"


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), **KEY}


def test_session_budget_runs_out_midway_across_8_processes(tmp_path, hrouter_home):
    # one cloud call: reserved 21 tok * $3/M + 100 out * $15/M = $0.001563; settles at 21 in / 3 out = $0.000108
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["a", "b", "c"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         cloud_extra="    max_tokens: 100\n",
                         extra="budget:\n  session_usd: 0.005\n  downgrade_at: 1.0\n")
        script = ("import sys\nfrom hrouter.cli import main\n"
                  "for i in range(20):\n"
                  "    try:\n        main(['ask', '-q', '--session', 'batch', '--policy', sys.argv[1], sys.argv[2]])\n"
                  "    except SystemExit as e:\n        assert e.code == 0, e.code\n")
        procs = [subprocess.Popen([sys.executable, "-c", script, str(p), COMPLEX], env=_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                 for _ in range(8)]
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
    recs = [r for r in audit_records(hrouter_home) if r["type"] == "request"]
    assert len(recs) == 160 and all(r["status"] == "ok" for r in recs)
    cloud_recs = [r for r in recs if r["backend"] == "cloud"]
    spent = sum(r["cost_usd"] for r in cloud_recs)
    assert 0 < len(cloud_recs) < 160                      # the budget ran out mid-way...
    assert spent <= 0.005 + 0.001563 + 1e-9                 # ...never overshooting by more than one reservation
    assert any(r["backend"] == "local" and r["route"] == "local" for r in recs)  # later ones went local
    r = run_cli(["budget", "--session", "batch", "--json", "--policy", str(p)])
    b = json.loads(r.stdout)
    assert abs(b["spent_usd"] - spent) < 1e-6 and b["reserved_usd"] == 0 and b["entries"] == len(cloud_recs)
    assert run_cli(["budget", "reset", "--session", "batch"]).returncode == 0
    assert json.loads(run_cli(["budget", "--session", "batch", "--json", "--policy", str(p)]).stdout)["spent_usd"] == 0


def test_local_at_max_inflight_spills_public_not_confidential(tmp_path):
    # the holder stays in flight until the checks are done (released below), however loaded the machine
    with FakeOllama(chunks=["slow"], first_chunk_delay_s=120, models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["cloud"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         local_extra="    max_inflight: 1\n", extra="dispatch:\n  wait_s: 0.5\n")
        holder = subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "-q", "--policy", str(p), SIMPLE],
                                  env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not local.requests_to("/api/chat") and time.monotonic() < deadline:
            time.sleep(0.05)
        r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
        assert r.returncode == 0 and r.stdout == b"cloud\n"
        assert b"capacity.spill" in r.stderr
        n_cloud = len(cloud.requests_to("/v1/messages"))
        r = run_cli(["ask", "--policy", str(p), CONFIDENTIAL], env=KEY)
        assert r.returncode == 3 and b"max_inflight" in r.stderr
        assert len(cloud.requests_to("/v1/messages")) == n_cloud  # the confidential prompt never reached it
        local.release_delays()
        out, _ = holder.communicate(timeout=60)
        assert holder.returncode == 0 and out == b"slow\n"


def test_killed_process_leaves_no_inflight_slot(tmp_path):
    with FakeOllama(chunks=["x"], first_chunk_delay_s=30, hang_s=30, models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["cloud"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         local_extra="    max_inflight: 1\n", extra="dispatch:\n  wait_s: 0\n")
        victim = subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "-q", "--policy", str(p), CONFIDENTIAL],
                                  env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not local.requests_to("/api/chat") and time.monotonic() < deadline:
            time.sleep(0.05)
        r = run_cli(["explain", "--json", "--policy", str(p), CONFIDENTIAL])
        assert json.loads(r.stdout)["considerations"]["capacity"]["inflight"] == {"local": 1}
        victim.kill()
        victim.wait()
        r = run_cli(["explain", "--json", "--policy", str(p), CONFIDENTIAL])
        assert json.loads(r.stdout)["considerations"]["capacity"]["inflight"] == {"local": 0}


def test_failing_cloud_is_cooled_down_across_processes(tmp_path):
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["cloud"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        cloud.fail_next(529)
        r = run_cli(["ask", "--policy", str(p), COMPLEX], env=KEY)
        assert r.returncode == 0 and r.stdout == b"local\n"
        r = run_cli(["explain", "--json", "--policy", str(p), COMPLEX])
        d = json.loads(r.stdout)
        assert d["rule"] == "cooldown" and d["backend"] == "local" and d["fallbacks"] == ["cloud"]
        assert "HTTP 529" in d["considerations"]["capacity"]["cooldowns"]["cloud"]
        r = run_cli(["ask", "--policy", str(p), COMPLEX], env=KEY)
        assert r.stdout == b"local\n" and len(cloud.requests_to("/v1/messages")) == 1  # not tried again


def test_measured_latency_feeds_the_sla_rule(tmp_path):
    with FakeOllama(chunks=["local"], first_chunk_delay_s=0.4, models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["cloud"]) as cloud:
        # priors say local is fast (500 ms) and cloud slow (1500 ms); measurement says otherwise
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        for _ in range(3):
            assert run_cli(["ask", "-q", "--policy", str(p), "--backend", "local", SIMPLE], env=KEY).returncode == 0
            assert run_cli(["ask", "-q", "--policy", str(p), "--backend", "cloud", SIMPLE], env=KEY).returncode == 0
        d = json.loads(run_cli(["explain", "--json", "--sla", "300", "--policy", str(p), SIMPLE]).stdout)
        measured = d["considerations"]["latency"]["measured"]
        assert measured["local"]["samples"] == 3 and measured["local"]["p50_ttft_ms"] >= 350
        assert measured["cloud"]["p50_ttft_ms"] < 300
        assert d["backend"] == "cloud" and d["rule"] == "latency.sla"


def test_retry_after_is_honoured_as_a_cooldown(tmp_path):
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["cloud"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url, extra="dispatch:\n  cooldown_s: 1\n")
        cloud.fail_next(429, headers={"retry-after": "120"})
        r = run_cli(["ask", "--policy", str(p), COMPLEX], env=KEY)
        assert r.returncode == 0 and r.stdout == b"local\n"
        d = json.loads(run_cli(["explain", "--json", "--policy", str(p), COMPLEX]).stdout)
        left = d["considerations"]["capacity"]["cooldowns"]["cloud"]
        assert "HTTP 429" in left and int(left.split("; ")[1].split(" ")[0]) > 100  # retry-after 120 s, not 1 s
