"""Regression tests for hostile audit logs in the read-side commands (``log``, ``stats``,
``feedback``): terminal escapes, lone surrogates, out-of-range times, non-finite and absurd
numbers, contradictory options, NO_COLOR on a terminal, and the streaming readers giving the
same results as reading everything. Every test drives ``python -m hrouter`` (tests/clitools.py)."""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

import pytest

from clitools import ROOT, run_cli

NOW = datetime.now(timezone.utc) - timedelta(hours=1)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


GOOD = {"type": "request", "ts": iso(NOW), "id": "0123456789abcdef0123456789abcdef", "session": "s",
        "backend": "local", "zone": "local", "tier": "public", "rule": "complexity.below_threshold",
        "status": "ok", "cloud_egress": False, "attempts": [{"backend": "local"}], "input_tokens": 3,
        "output_tokens": 4, "cost_usd": 0.0, "ttft_ms": 10.0, "latency_ms": 20.0,
        "complexity": 0.1, "components": {"length": 0.1, "reasoning": 0.0}}


def write_log(home, lines: list[str], name: str = "audit.jsonl"):
    path = home / "state" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def rec(**kw) -> str:
    return json.dumps({**GOOD, **kw})


def strict_json(text: str):
    """Parse as strict JSON: NaN/Infinity are errors, as they are for every other JSON reader."""
    def reject(constant):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=reject)


def ok(r) -> str:
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "internal error" not in err and "Traceback" not in err, err
    return r.stdout.decode("utf-8")


# --------------------------------------------------------------------------- 1. terminal escapes

def test_stats_table_escapes_every_field_from_the_log_and_no_row_is_forged(hrouter_home):
    write_log(hrouter_home, [
        rec(),
        rec(id="b" * 32, backend="evil\x1b[31mRED\r\nFORGED  row", zone="z\x1b]0;title\x07",
            tier="t\x1b[2J", rule="r\u009b31m", status="ok"),
        rec(id="c" * 32, backend=None, status="bad\x1b[5m\nFORGED2"),
    ])
    out = ok(run_cli(["stats"]))
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out and "\u009b" not in out
    lines = out.splitlines()
    assert not any(line.lstrip().startswith(("FORGED", "row")) for line in lines), out
    row = next(line for line in lines if line.startswith("evil"))
    assert row.split()[:4] == ["evil\\x1b[31mRED", "FORGED", "row", "z\\x1b]0;title\\x07"]
    assert row.split()[4] == "1"  # requests of that backend, on the same row
    assert any(line.split() == ["t\\x1b[2J", "1"] for line in lines), out
    assert any(line.split() == ["r\\x9b31m", "1"] for line in lines), out
    assert any(line.split() == ["bad\\x1b[5m", "FORGED2", "1"] for line in lines), out
    head = lines[0]
    assert head.startswith("3 request(s) since 7d: 2 served locally, 0 sent to the cloud, 1 not served "
                           "(1 bad\\x1b[5m FORGED2)"), head


def test_log_escapes_the_redaction_kinds_of_the_egress_column(hrouter_home):
    write_log(hrouter_home, [rec(cloud_egress=True, backend="cloud", zone="public-cloud",
                                 redacted={"count": 1, "kinds": ["email\x1b[2J\nFORGED"]})])
    out = ok(run_cli(["log"]))
    assert "\x1b" not in out
    row = out.splitlines()[1]
    assert row.endswith("yes, redacted (1 value: email\\x1b[2J FORGED)"), row


def feedback_log(home, *lines):
    write_log(home, [rec(ts=iso(NOW - timedelta(minutes=10)), id="a" * 32), *lines])


def test_feedback_last_escapes_what_it_prints(hrouter_home):
    feedback_log(hrouter_home, rec(id="b" * 32, backend="lo\x1b[31mcal\rX"))
    out = ok(run_cli(["feedback", "last", "good"]))
    assert out == f"labelled {'b' * 32} good: a local answer (lo\\x1b[31mcal X): local_ok true\n"


@pytest.mark.parametrize("bad_id", [None, "", "   ", "e\x1b[31mvil\rX", "x\ud800y"],
                         ids=["no id", "empty", "blank", "escape codes", "lone surrogate"])
def test_feedback_last_skips_a_newer_record_without_a_usable_id(hrouter_home, bad_id):
    newer = {**GOOD, "ts": iso(NOW)}
    if bad_id is None:
        del newer["id"]
    else:
        newer["id"] = bad_id
    feedback_log(hrouter_home, json.dumps(newer))
    out = ok(run_cli(["feedback", "last", "good"]))
    assert out == f"labelled {'a' * 32} good: a local answer (local): local_ok true\n"
    assert "None" not in out


def test_feedback_skips_a_record_whose_fields_are_not_text_and_rejects_a_note_that_is_not(hrouter_home):
    feedback_log(hrouter_home, rec(id="b" * 32, backend="lo\ud800cal"))
    r = run_cli(["feedback", "last", "bad", "--json"])
    assert strict_json(ok(r))["request_id"] == "a" * 32
    r = run_cli(["feedback", "last", "good", "--note", os.fsdecode(b"\xff")])
    assert (r.returncode, r.stderr.decode()) == (2, "hrouter: error: --note is not valid UTF-8 text\n")
    r = run_cli(["feedback", os.fsdecode(b"\xff" * 8), "good"])
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1
    assert r.stderr.decode().startswith("hrouter: error: feedback: '\\udcff")


# --------------------------------------------------------------------------- 2. lone surrogates

SURROGATE_LINE = json.dumps({**GOOD, "id": "d" * 32, "backend": "b\ud800x", "status": "e\udfff",
                             "components": {"k\udc00": 0.5}})


def test_a_lone_surrogate_never_stops_a_reader_and_is_shown_escaped(hrouter_home):
    assert "\\ud800" in SURROGATE_LINE  # written as a JSON escape, as a forger would
    write_log(hrouter_home, [rec(), SURROGATE_LINE])
    lines = ok(run_cli(["log", "--json"])).splitlines()
    assert [strict_json(x) for x in lines] == [GOOD, json.loads(SURROGATE_LINE)]
    assert "\\ud800" in lines[1] and lines[0] == json.dumps(GOOD, ensure_ascii=False)
    out = ok(run_cli(["log"]))
    assert out.splitlines()[2].split()[3:5] == ["b\\ud800x", "local"]
    assert "e\\udfff" in out.splitlines()[2]
    st = strict_json(ok(run_cli(["stats", "--json"])))
    assert st["backends"]["b\ud800x"]["requests"] == 1 and st["statuses"] == {"ok": 1, "e\udfff": 1}
    assert (st["requests"], st["local"], st["not_served"], st["not_served_by_status"]) == (2, 1, 1, {"e\udfff": 1})
    out = ok(run_cli(["stats"]))
    assert any(line.split()[:3] == ["b\\ud800x", "local", "1"] for line in out.splitlines()), out
    assert "(1 e\\udfff)" in out.splitlines()[0]
    prom = ok(run_cli(["stats", "--format", "prometheus"]))
    assert 'hrouter_requests_total{backend="b\\\\ud800x",zone="local"} 1' in prom.splitlines()
    assert 'hrouter_requests_by_status_total{status="e\\\\udfff"} 1' in prom.splitlines()


# --------------------------------------------------------------------------- 3. times out of range

def test_a_time_past_year_9999_in_utc_is_counted_in_the_last_bucket(hrouter_home):
    write_log(hrouter_home, [rec(), rec(id="e" * 32, ts="9999-12-31T23:59:59-05:00")])
    st = strict_json(ok(run_cli(["stats", "--json"])))
    assert st["requests"] == 2
    assert [(b["bucket"], b["requests"]) for b in st["buckets"]] == [(GOOD["ts"][:10], 1), ("9999-12-31", 1)]
    st = strict_json(ok(run_cli(["stats", "--json", "--by", "hour", "--until", "9999-12-31T23:59:59-05:00"])))
    assert [b["bucket"] for b in st["buckets"]][-1] == "9999-12-31T23:00Z" and st["requests"] == 2
    assert "local" in ok(run_cli(["stats"]))
    prom = ok(run_cli(["stats", "--format", "prometheus"]))
    assert 'hrouter_requests_total{backend="local",zone="local"} 2' in prom.splitlines()
    rows = ok(run_cli(["log"])).splitlines()
    assert rows[-1].startswith("9999-12-31 23:59:59-05:00 ")  # as written: it has no UTC time


def test_a_time_before_year_1_in_utc_is_counted_in_the_first_bucket(hrouter_home):
    write_log(hrouter_home, [rec(id="e" * 32, ts="0001-01-01T00:00:00+05:00"), rec()])
    since = ["--since", "0001-01-01T00:00:00+14:00"]
    st = strict_json(ok(run_cli(["stats", "--json", *since])))
    assert [(b["bucket"], b["requests"]) for b in st["buckets"]] == [("0001-01-01", 1), (GOOD["ts"][:10], 1)]
    out = ok(run_cli(["stats", *since]))
    assert out.splitlines()[0].startswith("2 request(s) since 0001-01-01T00:00:00+14:00: 2 served locally")
    assert "hrouter_requests_total{backend=\"local\",zone=\"local\"} 2" in ok(
        run_cli(["stats", "--format", "prometheus", *since]))
    assert len(ok(run_cli(["log", "--json", *since])).splitlines()) == 2


# --------------------------------------------------------------------------- 4. non-finite, absurd numbers

def test_absurd_amounts_are_left_out_of_stats_so_every_output_stays_valid(hrouter_home):
    write_log(hrouter_home, [rec(), rec(id="1" * 32, cost_usd=1e308), rec(id="2" * 32, cost_usd=1e308),
                             rec(id="3" * 32, input_tokens=10**26), rec(id="4" * 32, latency_ms=1e300)])
    warn = (f"hrouter: warning: left out 4 record(s) with an implausible value (first: {GOOD['ts']} request "
            f"{'1' * 32}: field 'cost_usd' is 1e+308, over the limit of 1e+06 per request); they count in skipped")
    r = run_cli(["stats", "--json"])
    st = strict_json(ok(r))
    assert r.stderr.decode().splitlines() == [warn]
    assert (st["requests"], st["skipped"]) == (1, 4)
    assert st["backends"]["local"] == {"requests": 1, "zone": "local", "input_tokens": 3, "output_tokens": 4,
                                       "cost_usd": 0.0, "ttft_ms": {"p50": 10.0, "p95": 10.0},
                                       "latency_ms": {"p50": 20.0, "p95": 20.0}}
    r = run_cli(["stats", "--format", "prometheus"])
    prom = ok(r)
    assert r.stderr.decode().splitlines() == [warn]
    values = [line.rsplit(" ", 1)[1] for line in prom.splitlines() if not line.startswith("#")]
    assert values and all(v.replace(".", "", 1).isdigit() for v in values), values  # finite, plain numbers
    assert 'hrouter_cost_usd_total{backend="local"} 0.0' in prom.splitlines()
    assert 'hrouter_tokens_total{backend="local",direction="input"} 3' in prom.splitlines()
    assert ok(run_cli(["stats"])).splitlines()[0].startswith("1 request(s) since 7d: 1 served locally")


def test_log_json_is_strict_json_when_a_line_holds_nan_or_infinity(hrouter_home):
    write_log(hrouter_home, [rec(), rec(id="f" * 32).replace('"complexity": 0.1', '"complexity": NaN')
                             .replace('"reasoning": 0.0', '"reasoning": -Infinity')])
    r = run_cli(["log", "--json"])
    rows = [strict_json(line) for line in ok(r).splitlines()]
    assert rows[0] == GOOD
    assert rows[1]["complexity"] is None and rows[1]["components"] == {"length": 0.1, "reasoning": None}
    assert r.stderr.decode().splitlines() == [
        "hrouter: warning: 1 record(s) hold a non-finite number (NaN or Infinity, which JSON has not), printed as null"]


def test_otlp_export_of_a_huge_token_count_is_one_line_and_leaves_the_record_out(hrouter_home):
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http.metric_exporter")
    from fakes import free_port
    write_log(hrouter_home, [rec(), rec(id="3" * 32, input_tokens=99999999999999999999999999)])
    url = f"http://127.0.0.1:{free_port()}/v1/metrics"
    r = run_cli(["stats", "--format", "otlp", "--otlp-endpoint", url])
    err = r.stderr.decode().splitlines()
    assert r.returncode == 1 and len(err) == 2, err
    assert err[0].startswith("hrouter: warning: left out 1 record(s) with an implausible value")
    assert err[1].startswith(f"hrouter: error: OTLP export to {url} failed: connection refused")
    assert "Metric(" not in r.stderr.decode() and "not finite" not in r.stderr.decode()


def test_otlp_refuses_a_value_no_data_point_can_carry_in_one_line_before_sending():
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http.metric_exporter")
    from hrouter.errors import HrouterError
    from hrouter.otel import export_otlp
    from hrouter.stats import compute_stats
    st = compute_stats([json.loads(rec())], since=NOW - timedelta(days=1))
    st["backends"]["local"]["input_tokens"] = 2**64
    with pytest.raises(HrouterError) as exc:
        export_otlp(st, "http://127.0.0.1:9/v1/metrics")  # nothing listens: it must not get that far
    assert str(exc.value) == ("OTLP export: hrouter.tokens {backend='local', direction='input'} is 1.84e+19: not a "
                              "value an OTLP counter can carry (0 to 9.22e+18); nothing was sent")
    st["backends"]["local"]["input_tokens"] = 3
    st["backends"]["local"]["cost_usd"] = float("inf")
    with pytest.raises(HrouterError, match=r"^OTLP export: hrouter.cost \{backend='local'\} is inf"):
        export_otlp(st, "http://127.0.0.1:9/v1/metrics")


def test_otlp_encode_failure_reason_is_one_short_line():
    import logging
    from hrouter.otel import _Capture
    cap = _Capture()
    dump = "Metric(name='hrouter.tokens', " + "x" * 1500 + ")) Value out of range: 100000000000000000000000143"
    cap.emit(logging.LogRecord("opentelemetry", logging.ERROR, __file__, 1, "Failed to encode metrics batch: %s",
                               (dump,), None))
    assert cap.reason() == "cannot encode the metrics: Value out of range: 100000000000000000000000143"
    cap = _Capture()
    cap.emit(logging.LogRecord("opentelemetry", logging.ERROR, __file__, 1, "Other\nfailure: %s", ("y" * 500,), None))
    why = cap.reason()
    assert "\n" not in why and len(why) <= 201 and why.startswith("Other failure: yyy")


# --------------------------------------------------------------------------- 5. options, NO_COLOR

def test_stats_json_with_another_format_is_a_usage_error(hrouter_home):
    write_log(hrouter_home, [rec()])
    r = run_cli(["stats", "--json", "--format", "prometheus"])
    assert (r.returncode, r.stdout, r.stderr.decode()) == (
        2, b"", "hrouter: error: --json and --format prometheus contradict each other (--json is --format json): "
                "give one\n")
    assert strict_json(ok(run_cli(["stats", "--json", "--format", "json"])))["requests"] == 1
    assert ok(run_cli(["stats", "--format", "table"])).startswith("1 request(s)")


@pytest.mark.parametrize("args,message", [
    (["log", "--since", "2h", "--until", "3h"], "--since 2h is later than --until 3h"),
    (["stats", "--since", "2h", "--until", "3h"], "--since 2h is later than --until 3h"),
    (["log", "--since", "2026-11-30T10:00", "--until", "2026-11-30T10:00+01:00"],
     "--since 2026-11-30T10:00 is later than --until 2026-11-30T10:00+01:00"),
    (["stats", "--until", "30d"], "--since 7d (the default) is later than --until 30d"),
])
def test_since_later_than_until_is_a_usage_error(hrouter_home, args, message):
    write_log(hrouter_home, [rec()])
    r = run_cli(args)
    assert (r.returncode, r.stdout) == (2, b"")
    assert r.stderr.decode() == (f"hrouter: error: {message}: no record can match; give a --since before "
                                 "the --until\n")
    # the same instant, or since before until, is fine
    assert ok(run_cli(["log", "--json", "--since", "2026-11-30T10:00Z", "--until", "2026-11-30T11:00+01:00"])) == ""


def run_on_a_tty(args: list[str], env: dict) -> bytes:
    """Run ``python -m hrouter ARGS`` with stdout and stderr on a pseudo-terminal; all it wrote."""
    import pty
    import subprocess
    master, slave = pty.openpty()
    full = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "200", **env}
    full = {k: v for k, v in full.items() if v is not None}
    proc = subprocess.Popen([sys.executable, "-m", "hrouter", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=full)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0, out
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
@pytest.mark.parametrize("args", [["log"], ["stats"]])
def test_no_color_on_a_terminal_writes_no_escape_codes_at_all(hrouter_home, args):
    write_log(hrouter_home, [rec(), rec(id="9" * 32, cloud_egress=True, backend="cloud", zone="public-cloud")])
    styled = run_on_a_tty(args, {"NO_COLOR": None})
    assert b"\x1b[1m" in styled  # bold headers: the terminal path is taken
    plain = run_on_a_tty(args, {"NO_COLOR": "1"})
    assert b"\x1b[" not in plain
    assert (b"2 record(s)" if args == ["log"] else b"2 request(s) since 7d") in plain
    assert b"\x1b[" in run_on_a_tty(args, {"NO_COLOR": ""})  # empty NO_COLOR: no effect (no-color.org)


def test_render_console_honours_no_color_even_when_forced_onto_a_terminal(monkeypatch):
    import io
    from rich.text import Text
    from hrouter.render import console
    for value, escapes in ((None, True), ("1", False)):
        if value is None:
            monkeypatch.delenv("NO_COLOR", raising=False)
        else:
            monkeypatch.setenv("NO_COLOR", value)
        buf = io.StringIO()
        c = console(file=buf, force_terminal=True, color_system="truecolor")
        c.print(Text("x", style="bold dim red"))
        assert ("\x1b[" in buf.getvalue()) is escapes, buf.getvalue()
        assert "x" in buf.getvalue()


# --------------------------------------------------------------------------- 6. streaming = reading it all

def hostile_mix(n: int, seed: int = 3) -> list[dict]:
    """Request records a little out of time order (concurrent writers), egress records before
    their request, some never followed by one (killed mid-call), a few after their request."""
    rnd = random.Random(seed)
    start = NOW - timedelta(days=3)
    out = []
    for i in range(n):
        t = start + timedelta(minutes=5 * i) - timedelta(milliseconds=rnd.choice([0, 0, 0, 0, 7, 250]))
        rid = f"{i:032x}"
        cloud = rnd.random() < 0.4
        backend = rnd.choice(["cloud", "cloud2"]) if cloud else rnd.choice(["local", "local2"])
        egress = {"type": "egress", "ts": iso(t - timedelta(milliseconds=5)), "id": f"e{i:031x}", "request": rid,
                  "session": "s", "backend": backend, "zone": "public-cloud", "tier": "public", "rule": "r"}
        if cloud and rnd.random() < 0.9:
            out.append(egress)
        if rnd.random() < 0.05:
            continue  # no outcome record
        out.append({**GOOD, "ts": iso(t), "id": rid, "backend": backend, "cloud_egress": cloud,
                    "zone": "public-cloud" if cloud else "local", "session": rnd.choice(["s1", "s2"]),
                    "tier": rnd.choice(["public", "internal", "confidential"]),
                    "status": rnd.choice(["ok"] * 6 + ["error", "refused", "interrupted"]),
                    "attempts": [{}] * rnd.choice([1, 1, 2]), "input_tokens": rnd.randint(0, 999),
                    "cost_usd": round(rnd.random() / 100, 6) if cloud else 0.0,
                    "ttft_ms": round(rnd.uniform(1, 3000), 1), "latency_ms": round(rnd.uniform(10, 9000), 1)})
        if cloud and rnd.random() < 0.05:
            out.append({**egress, "ts": iso(t + timedelta(milliseconds=1))})  # an egress after its request
    return out


def reference_view(records: list[dict]) -> list[dict]:
    """What log and stats read, computed the way they did before streaming: everything held,
    orphan egress rows appended, sorted by time."""
    requests = [r for r in records if r.get("type", "request") == "request"]
    seen = {r.get("id") for r in requests}
    for e in records:
        if e.get("type") == "egress" and e.get("request") not in seen:
            requests.append({**e, "type": "request", "id": e.get("request"), "cloud_egress": True,
                             "status": "no outcome record", "attempts": [{"backend": e.get("backend")}]})
    return sorted(requests, key=lambda r: r["ts"])  # every ts here is ...T..:..:..mmmZ: text order is time order


def test_streamed_log_and_stats_equal_reading_everything(hrouter_home):
    records = hostile_mix(1500)
    half = len(records) // 2  # rotated file first, then the current one
    write_log(hrouter_home, [json.dumps(r) for r in records[:half]], name="audit-20261101T000000000000Z.jsonl")
    write_log(hrouter_home, [json.dumps(r) for r in records[half:]])
    view = reference_view(records)
    assert any(r["status"] == "no outcome record" for r in view)
    assert [r["ts"] for r in view] != [r["ts"] for r in records if r.get("type", "request") == "request"]
    since, until = (datetime.fromisoformat(iso(t).replace("Z", "+00:00"))  # as the command line gives them
                    for t in (NOW - timedelta(days=2, hours=5), NOW - timedelta(days=1)))

    def newest(n, keep=lambda r: True, lo=None, hi=None):
        rows = [r for r in view if keep(r) and (lo is None or r["ts"] >= iso(lo)) and (hi is None or r["ts"] <= iso(hi))]
        return rows[-n:]

    cases = [
        (["-n", "1"], newest(1)),
        (["-n", "37"], newest(37)),
        (["-n", "100000"], newest(100000)),
        (["-n", "25", "--status", "error", "--tier", "internal"],
         newest(25, lambda r: r["status"] == "error" and r["tier"] == "internal")),
        (["-n", "30", "--egress", "--since", iso(since), "--until", iso(until)],
         newest(30, lambda r: r["cloud_egress"], since, until)),
        (["-n", "12", "--no-egress", "--backend", "local2", "--session", "s2"],
         newest(12, lambda r: not r["cloud_egress"] and r["backend"] == "local2" and r.get("session") == "s2")),
        (["-n", "5", "--status", "no outcome record"], newest(5, lambda r: r["status"] == "no outcome record")),
    ]
    for args, expected in cases:
        got = [json.loads(line) for line in ok(run_cli(["log", "--json", *args])).splitlines()]
        assert got == expected, args
        assert expected, args
    table = ok(run_cli(["log", "-n", "3"])).splitlines()[1:]
    assert [line.split()[3] for line in table] == [r["backend"] for r in newest(3)]

    from hrouter.stats import compute_stats, public_stats
    for args, lo, hi, by in ((["--since", "30d"], NOW - timedelta(days=30), None, "day"),
                             (["--since", iso(since), "--until", iso(until), "--by", "hour"], since, until, "hour")):
        got = strict_json(ok(run_cli(["stats", "--json", *args])))
        want = json.loads(json.dumps(public_stats(compute_stats(view, by=by, since=lo, until=hi, checked=True))))
        assert got == want, args
        assert got["requests"] > 100 and got["skipped"] == 0
        if hi is None:  # the whole log: the rows made from egress records without an outcome count too
            assert got["statuses"]["no outcome record"] == sum(r["status"] == "no outcome record" for r in view) > 0


@pytest.mark.parametrize("field", ["cost_usd", "ttft_ms", "latency_ms", "input_tokens", "output_tokens"])
def test_a_400_digit_number_in_a_record_is_skipped_by_every_reader(tmp_path, field):
    import json as _json
    import os as _os

    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    good = {"type": "request", "ts": "2026-11-30T05:00:00Z", "id": "g", "status": "ok", "backend": "local",
            "zone": "local", "tier": "public", "input_tokens": 5, "output_tokens": 6}
    bad = {**good, "id": "b", "ts": "2026-11-30T05:00:01Z", field: 10 ** 400}
    (home / "state" / "audit.jsonl").write_text(_json.dumps(good) + "\n" + _json.dumps(bad) + "\n")
    env = {"HROUTER_HOME": str(home), "HROUTER_POLICY": None}
    for args in (["log"], ["log", "--json"], ["stats"], ["stats", "--json"], ["stats", "--format", "prometheus"]):
        r = run_cli(args, env=env)
        err = r.stderr.decode()
        assert r.returncode == 0, (args, err)
        assert "internal error" not in err
        assert f"audit.jsonl:2: field '{field}' is implausibly large (a 401-digit number)" in err, (args, err)
    assert _json.loads(run_cli(["stats", "--json"], env=env).stdout)["requests"] == 1
