"""hrouter doctor and hrouter backends against loopback servers."""

from __future__ import annotations

import json

from clitools import run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama, free_port

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}


def test_doctor_all_ok_then_missing_model_fails(tmp_path):
    with FakeOllama(models=["llama3.2:3b"]) as local, FakeAnthropic() as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        r = run_cli(["doctor", "--json", "--policy", str(p)], env=KEY)
        d = json.loads(r.stdout)
        assert r.returncode == 0 and d["ok"] is True, r.stdout
        names = [c["name"] for c in d["checks"]]
        assert "backend local (ollama, local)" in names and "backend cloud (anthropic, public-cloud)" in names
        assert all(c["ok"] for c in d["checks"])
        assert KEY["ANTHROPIC_API_KEY"] not in r.stdout.decode()
        p2 = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url, local_model="mistral", name="p2.yaml")
        r = run_cli(["doctor", "--json", "--policy", str(p2)], env=KEY)
        local_check = next(c for c in json.loads(r.stdout)["checks"] if c["name"].startswith("backend local"))
        assert r.returncode == 1 and "ollama pull mistral" in local_check["detail"] and local_check["required"]


def test_doctor_cloud_problems_warn_but_do_not_fail(tmp_path):
    with FakeOllama(models=["llama3.2:3b"]) as local:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=f"http://127.0.0.1:{free_port()}")
        r = run_cli(["doctor", "--policy", str(p)], env={"ANTHROPIC_API_KEY": None})
        assert r.returncode == 0  # only the local backend is required (sole backend for confidential)
        assert b"warn" in r.stdout and b"ANTHROPIC_API_KEY is not set" in r.stdout
    p = write_policy(tmp_path, ollama_url=f"http://127.0.0.1:{free_port()}", name="down.yaml")
    r = run_cli(["doctor", "--policy", str(p)])
    assert r.returncode == 1 and b"FAIL" in r.stdout


def test_backends_lists_prior_then_measured_ttft(tmp_path):
    with FakeOllama(chunks=["x"], models=["llama3.2:3b"]) as local, FakeAnthropic() as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url, local_extra="    max_inflight: 2\n")
        rows = [json.loads(x) for x in run_cli(["backends", "--json", "--policy", str(p)]).stdout.decode().splitlines()]
        assert [(r["name"], r["ttft_measured"]) for r in rows] == [("local", False), ("cloud", False)]
        for _ in range(3):
            assert run_cli(["ask", "-q", "--policy", str(p), "hi"], env=KEY).returncode == 0
        rows = [json.loads(x) for x in run_cli(["backends", "--json", "--policy", str(p)]).stdout.decode().splitlines()]
        local_row = rows[0]
        assert local_row["ttft_measured"] and local_row["samples"] == 3 and local_row["inflight"] == 0
        assert local_row["max_inflight"] == 2


def test_doctor_flags_a_model_the_sdk_lists_as_deprecated(tmp_path):
    from anthropic._data import DEPRECATED_MODELS
    model, eol = next(iter(DEPRECATED_MODELS.items()))
    with FakeOllama(models=["llama3.2:3b"]) as local, FakeAnthropic() as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        p.write_text(p.read_text().replace("model: claude-sonnet-4-6", f"model: {model}"))
        r = run_cli(["doctor", "--json", "--policy", str(p)], env=KEY)
    d = json.loads(r.stdout)
    check = next(c for c in d["checks"] if c["name"] == "model cloud")
    assert check == {"name": "model cloud", "ok": False, "required": False,
                     "detail": f"{model} is deprecated (end of life {eol}, per the anthropic SDK); "
                               "move backends.cloud.model to a current model"}
    assert r.returncode == 0  # a warning: the model still answers until its end of life
    assert not any(c["name"] == "model local" for c in d["checks"])
