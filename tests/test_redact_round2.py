"""Redact-then-send, round 2: every occurrence of a redacted value is replaced (A1), a prompt with a
confidential finding that is not redactable (PHI) is not redacted at all and stays local (A6), and
placeholders never collide with text already in the prompt (D1). Checked on what the cloud fake
actually received."""

from __future__ import annotations

import inspect
import json

import pytest

from clitools import run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama
from hrouter.policy_model import SensitivityConfig
from hrouter.redact import Restorer, redact
from hrouter.signals import Finding
from hrouter.signals.sensitivity import tag_sensitivity

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
CFG = SensitivityConfig()


def _redact(text, names, system=None):
    return redact(text, tag_sensitivity(text, CFG).findings, names, system=system)


def _sent(cloud) -> str:
    (req,) = cloud.requests_to("/v1/messages")
    return req.raw_body.decode()


# ---- A1: every occurrence ----------------------------------------------------------------------

@pytest.mark.parametrize("text, names, value", [
    ("My driver's license number is A1234567. Again, please check A1234567 for validity; "
     "analyze why step by step.", ("drivers_license",), "A1234567"),
    ("My passport number is X1234567. Check X1234567 please.", ("passport",), "X1234567"),
    ("DL: S530-4607-2981 is mine. Is S530-4607-2981 valid?", ("drivers_license",), "S530-4607-2981"),
    ("Meine Führerscheinnummer ist B072RRE2I55. Bitte prüfe B072RRE2I55.", ("drivers_license",), "B072RRE2I55"),
])
def test_every_exact_occurrence_is_replaced(text, names, value):
    r = _redact(text, names)
    assert r is not None and value not in r.text
    (placeholder,) = r.mapping
    assert r.mapping[placeholder] == value and r.text.count(placeholder) == 2
    assert r.count == 2 and tag_sensitivity(r.text, CFG).tier == "public"


def test_occurrences_inside_tokens_other_case_and_other_separators():
    text = ("DL: S530-4607-2981 is mine. Also S530 4607 2981, S53046072981, s530.4607.2981 and "
            "refS530-4607-2981x.")
    r = _redact(text, ("drivers_license",))
    assert r.text == ("DL: [DRIVERS_LICENSE_1] is mine. Also [DRIVERS_LICENSE_1], [DRIVERS_LICENSE_1], "
                      "[DRIVERS_LICENSE_1] and ref[DRIVERS_LICENSE_1]x.")
    assert r.mapping == {"[DRIVERS_LICENSE_1]": "S530-4607-2981"} and r.count == 5
    for digit in "4607", "2981":
        assert digit not in r.text


def test_a_value_found_once_is_replaced_where_the_tagger_did_not_look():
    # Offsets from a single finding; the second copy (no context word) is replaced all the same.
    text = "email a@b.io then x a@b.io, A@B.IO and a@b.iox"
    r = redact(text, [Finding("email", "confidential", 6, 12, "m")], ("email",))
    assert r.text == "email [EMAIL_1] then x [EMAIL_1], [EMAIL_1] and [EMAIL_1]x"
    assert r.mapping == {"[EMAIL_1]": "a@b.io"}


def test_whitespace_variants_of_a_multi_word_value():
    text = "ship to 12 Main Street, Springfield and bill 12  Main\nStreet, Springfield too"
    r = redact(text, [Finding("postal_address", "confidential", 8, 35, "m")], ("postal_address",))
    assert r.text == "ship to [POSTAL_ADDRESS_1] and bill [POSTAL_ADDRESS_1] too"


def test_overlapping_values_leave_nothing_in_clear():
    text = "ids AB1234567X here"
    fs = [Finding("passport", "confidential", 4, 12, "m"), Finding("passport", "confidential", 5, 14, "m")]
    r = redact(text, fs, ("passport",))
    assert r.text == "ids [PASSPORT_1][PASSPORT_2] here"
    assert r.mapping == {"[PASSPORT_1]": "AB123456", "[PASSPORT_2]": "B1234567X"}


def test_many_values_stay_fast_enough():
    import time
    vals = [f"user{i}.n{i * 7919 % 100003}@example{i % 50}.com" for i in range(2000)]
    parts, fs, pos = [], [], 0
    for v in vals:
        parts.append("row: " + v + "\n")
        fs.append(Finding("email", "confidential", pos + 5, pos + 5 + len(v), "m"))
        pos += 6 + len(v)
    text = "".join(parts) + "again: " + vals[1234]
    t0 = time.process_time()
    r = redact(text, fs, ("email",))
    assert time.process_time() - t0 < 5
    assert r.count == 2001 and "@" not in r.text


def test_the_cloud_receives_no_copy_and_the_answer_is_restored(tmp_path, hrouter_home):
    text = ("My driver's license number is A1234567. Again, please check A1234567 for validity; "
            "analyze why step by step.")
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["[DRIVERS_LI", "CENSE_1] looks valid."]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [drivers_license]\n")
        r = run_cli(["ask", "--backend", "cloud", "--policy", str(p), text], env=KEY)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"A1234567 looks valid.\n"
        sent = _sent(cloud)
        assert "A1234567" not in sent and sent.count("[DRIVERS_LICENSE_1]") == 2
        assert "redacted (2 values: drivers_license)" in r.stderr.decode()


# ---- A6: a confidential finding that is not redactable keeps the prompt whole and local ---------

PHI = "My SSN is 078-05-1120 and my diagnosis is type 2 diabetes."


def test_phi_next_to_a_redactable_value_means_no_redaction():
    found = {f.detector for f in tag_sensitivity(PHI, CFG).findings}
    assert {"ssn", "phi"} <= found
    assert _redact(PHI, ("ssn",)) is None
    # a confidential finding of a detector not listed (any name, a custom rule too) likewise
    fs = [Finding("email", "confidential", 0, 6, "m"), Finding("my_rule", "confidential", 7, 9, "m")]
    assert redact("a@b.io xx", fs, ("email",)) is None
    # a lower-tier finding that is not listed does not stop it
    fs = [Finding("email", "confidential", 0, 6, "m"), Finding("my_rule", "internal", 7, 9, "m")]
    assert redact("a@b.io xx", fs, ("email",)).text == "[EMAIL_1] xx"
    # the base name counts: a table/encoded ssn is an ssn, a table phi still phi
    fs = [Finding("ssn (table)", "confidential", 0, 11, "m"), Finding("phi (table)", "confidential", 12, 20, "m")]
    assert redact("078-05-1120 diabetes", fs, ("ssn",)) is None


def test_phi_prompt_stays_local_end_to_end(tmp_path, hrouter_home):
    hard = PHI + " Analyze step by step the trade-offs of each treatment option and compare them rigorously."
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["x"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [ssn]\n")
        for prompt in (PHI, hard):
            d = json.loads(run_cli(["explain", "--json", "--policy", str(p), prompt]).stdout)
            assert d["backend"] == "local" and d["redacted_backends"] == []
            assert d.get("redaction") in (None, {}) and d["sensitivity"]["tier"] == "confidential"
            r = run_cli(["ask", "--policy", str(p), prompt], env=KEY)
            assert r.returncode == 0 and r.stdout == b"local\n", r.stderr
        r = run_cli(["ask", "--backend", "cloud", "--policy", str(p), PHI], env=KEY)
        assert r.returncode == 3, r.stderr
        assert cloud.requests == []
    # local down: no fallback to a redacted cloud copy either
    with FakeAnthropic(chunks=["x"]) as cloud:
        p = write_policy(tmp_path, ollama_url="http://127.0.0.1:9", anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [ssn]\n")
        r = run_cli(["ask", "--policy", str(p), PHI], env=KEY)
        assert r.returncode != 0 and cloud.requests == []


# ---- D1: placeholders never collide with the prompt's own text ----------------------------------

def test_placeholder_index_skips_text_already_in_the_prompt_or_system_prompt():
    text = "Template uses [DRIVERS_LICENSE_1] as a field. My driver's license number is A1234567."
    r = _redact(text, ("drivers_license",))
    assert r.text == "Template uses [DRIVERS_LICENSE_1] as a field. My driver's license number is [DRIVERS_LICENSE_2]."
    assert r.mapping == {"[DRIVERS_LICENSE_2]": "A1234567"}
    out = Restorer(r.mapping)
    assert out.feed("Field [DRIVERS_LICENSE_1] holds [DRIVERS_LICENSE_2].") + out.flush() == \
        "Field [DRIVERS_LICENSE_1] holds A1234567."
    r = redact("mail a@b.io and c@d.io", [Finding("email", "confidential", 5, 11, "m"),
                                          Finding("email", "confidential", 16, 22, "m")], ("email",),
               system="Fill [EMAIL_1] and [EMAIL_3].")
    assert r.text == "mail [EMAIL_2] and [EMAIL_4]"


def test_template_field_is_not_restored_end_to_end(tmp_path, hrouter_home):
    text = ("Template uses [DRIVERS_LICENSE_1] as a field. My driver's license number is A1234567. "
            "Explain step by step.")
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["Field [DRIVERS_LICENSE_1] gets [DRIVERS_LICENSE_2]."]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [drivers_license]\n")
        r = run_cli(["ask", "--backend", "cloud", "--policy", str(p), text], env=KEY)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"Field [DRIVERS_LICENSE_1] gets A1234567.\n"
        sent = _sent(cloud)
        assert "A1234567" not in sent and "[DRIVERS_LICENSE_1] as a field" in sent
        assert "number is [DRIVERS_LICENSE_2]" in sent


def _core_passes_system() -> bool:
    from hrouter.core import Router
    return "system=prompt.system" in inspect.getsource(Router._redaction)


@pytest.mark.skipif(not _core_passes_system(),
                    reason="needs hrouter/core.py Router._redaction to call redact(..., system=prompt.system)")
def test_placeholder_in_the_system_prompt_is_not_reused_end_to_end(tmp_path, hrouter_home):
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["Use [EMAIL_1] for [EMAIL_2]."]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [email]\n")
        r = run_cli(["ask", "--backend", "cloud", "--policy", str(p), "-s", "Reply using the field [EMAIL_1].",
                     "Write to jane.doe@gmail.com about it."], env=KEY)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"Use [EMAIL_1] for jane.doe@gmail.com.\n"
        sent = _sent(cloud)
        assert "jane.doe" not in sent and "Write to [EMAIL_2]" in sent


def test_a_joined_finding_is_mapped_back_with_the_system_prompt():
    system = "Applicant passport number:"
    text = "X1234567, and again X1234567."
    f = Finding("passport", "confidential", len(system) + 1, len(system) + 9, "m [system prompt + prompt]")
    r = redact(text, [f], ("passport",), system=system)
    assert r.text == "[PASSPORT_1], and again [PASSPORT_1]."
    assert redact(text, [f], ("passport",)) is None  # offsets into a text it was not given: no guess
    inside = Finding("passport", "confidential", 0, 8, "m [system prompt + prompt]")
    assert redact(text, [inside], ("passport",), system=system) is None  # the system prompt is sent as is


def test_a_value_also_in_the_system_prompt_means_no_redaction():
    text = "My driver's license number is A1234567."
    assert _redact(text, ("drivers_license",), system="Reference on file: a1234567") is None
    assert _redact(text, ("drivers_license",), system="Reference on file: none").text == \
        "My driver's license number is [DRIVERS_LICENSE_1]."
    # a confidential finding of the system prompt itself (the caller normally leaves these out)
    f = Finding("email", "confidential", 0, 6, "m [system prompt]")
    assert redact("a@b.io", [Finding("email", "confidential", 0, 6, "m"), f], ("email",)) is None
