"""``hrouter doctor``: check every backend, the policy and the audit/state paths.

Each check is a :class:`Check` (name, ok, detail, required). A backend check is required when
the backend is the only one permitted for some tier (e.g. the local model for confidential
prompts); otherwise a failing backend is reported but does not fail the run. Network probes
use short timeouts (connect 2 s, read 5 s) and only the backends' own list endpoints:
Ollama ``GET /api/tags`` (is the model pulled?), OpenAI-compatible ``GET /v1/models``,
Anthropic ``GET /v1/models/{model}`` (credentials accepted, model known).

A pool (``hosts``) is checked host by host: one check per host (a warning when it fails) and
one for the backend, which passes when at least one host is ready (and is required as above).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .policy import zone_mismatch
from .policy_model import Policy


@dataclass
class Check:
    """One result: ``name`` (what was checked), ``ok``, ``detail`` (one line), ``required``
    (a failure makes ``hrouter doctor`` exit 1)."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    def to_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "required": self.required}


def _required_backends(policy: Policy) -> set[str]:
    """Backends that are the only one permitted for some tier."""
    out = set()
    for tier, zones in policy.sensitivity.tiers.items():
        permitted = [n for n, b in policy.backends.items() if b.zone in zones]
        if len(permitted) == 1:
            out.add(permitted[0])
    return out


def check_backend(name: str, cfg) -> tuple[bool, str]:
    """Probe one backend; returns (ok, detail). Never raises for a backend failure."""
    try:
        if cfg.kind == "ollama":
            import httpx
            import ollama
            from .backends.ollama import normalize_host
            client = ollama.Client(host=cfg.host, timeout=httpx.Timeout(5.0, connect=2.0), follow_redirects=False,
                                   trust_env=cfg.zone != "local")
            models = {m.model for m in client.list().models}
            want = cfg.model if ":" in cfg.model.rsplit("/", 1)[-1] else cfg.model + ":latest"
            if want in models or cfg.model in models:
                return True, f"{normalize_host(cfg.host)}: model {cfg.model} present"
            return False, (f"{normalize_host(cfg.host)}: reachable, but model {cfg.model} is not pulled "
                           f"(ollama pull {cfg.model}); has: {', '.join(sorted(models)) or 'none'}")
        if cfg.kind == "anthropic":
            from .backends.anthropic import _credentials
            key, token = _credentials()
            if not key and not token:
                return False, "ANTHROPIC_API_KEY is not set"
            import anthropic
            client = anthropic.Anthropic(api_key=key, auth_token=token, base_url=cfg.base_url or None, max_retries=0,
                                         timeout=anthropic.Timeout(5.0, connect=2.0))
            model = client.models.retrieve(cfg.model)
            return True, f"credentials accepted; model {model.id} known"
        if cfg.kind == "openai":
            import openai
            key = os.environ.get(cfg.api_key_env or "", "") if cfg.api_key_env else "not-needed"
            if cfg.api_key_env and not key:
                return False, f"{cfg.api_key_env} is not set"
            client = openai.OpenAI(api_key=key, base_url=cfg.base_url, max_retries=0,
                                   timeout=openai.Timeout(5.0, connect=2.0))
            ids = {m.id for m in client.models.list()}
            if cfg.model in ids:
                return True, f"{cfg.base_url}: model {cfg.model} served"
            return False, f"{cfg.base_url}: reachable, but model {cfg.model} is not served; has: {', '.join(sorted(ids))}"
        return False, f"unknown kind {cfg.kind}"
    except ImportError as exc:
        return False, f"client library missing ({exc.name}); pip install 'hrouter[{cfg.kind}]'"
    except Exception as exc:  # noqa: BLE001 - every failure is a finding, reported in one line
        where = cfg.host or cfg.base_url or "the provider's default URL"
        text = f"{where}: " + " ".join(str(exc).split())[:200]
        for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", cfg.api_key_env or ""):
            secret = os.environ.get(var) if var else None
            if secret:
                text = text.replace(secret, "***")
        return False, f"{type(exc).__name__}: {text}"


def model_deprecation(cfg) -> str | None:
    """The end-of-life date of ``cfg.model`` when its SDK lists it as deprecated, else None.

    Source: the anthropic SDK's own table (``anthropic._data.DEPRECATED_MODELS``, the one it warns
    from at call time; see https://docs.anthropic.com/en/docs/resources/model-deprecations). The
    ollama and openai SDKs carry no such table. Offline; never raises."""
    if cfg.kind != "anthropic":
        return None
    try:
        from anthropic._data import DEPRECATED_MODELS
    except Exception:  # an SDK without the table (or none installed): nothing known
        return None
    return DEPRECATED_MODELS.get(cfg.model)


def run_checks(policy: Policy) -> list[Check]:
    """Every check, in order: policy, paths, then each backend."""
    checks = [Check("policy", True, f"{policy.source}: {len(policy.backends)} backend(s) valid")]
    for w in policy.warnings:
        checks.append(Check("policy", False, w, required=policy.strict_zones))
    from .audit import AuditLog, default_key_path, resolve_log_path
    from .errors import AuditError
    log = AuditLog(resolve_log_path(policy.audit.path))
    try:
        log.check_writable()
        checks.append(Check("audit log", True, f"{log.path} writable"))
    except AuditError as exc:
        checks.append(Check("audit log", False, str(exc), required=policy.audit.enabled))
    from .state import StateDB, StateError
    try:
        with StateDB.open_default() as db:
            db.sessions()
            checks.append(Check("state db", True, f"{db.path} readable and writable"))
    except StateError as exc:
        checks.append(Check("state db", False, str(exc)))
    checks.append(Check("audit key", True, str(default_key_path())))
    required = _required_backends(policy)
    for name, cfg in policy.backends.items():
        if cfg.hosts:
            checks += _check_pool(name, cfg, required=name in required)
            continue
        ok, detail = check_backend(name, cfg)
        where = zone_mismatch(cfg)
        if where:
            detail += f"; WARNING: declared local but {where} is public"
        checks.append(Check(f"backend {name} ({cfg.kind}, {cfg.zone})", ok, detail, required=name in required))
    if policy.learned.model and (policy.router == "learned"
                                 or (policy.router == "cascade" and policy.cascade.second == "learned")):
        checks.append(_check_learned(policy.learned.model))
    for name, cfg in policy.backends.items():
        eol = model_deprecation(cfg)
        if eol:
            checks.append(Check(f"model {name}", False, f"{cfg.model} is deprecated (end of life {eol}, per the "
                                f"{cfg.kind} SDK); move backends.{name}.model to a current model", required=False))
    return checks


def _check_learned(path: str) -> Check:
    """The learned router's model file loads (a failure is a warning: the rules then decide)."""
    try:
        from .deciders import load_learned
        model = load_learned(path)
    except Exception as exc:  # noqa: BLE001 - reported in one line
        return Check("learned model", False, f"{' '.join(str(exc).split())}; the rules decide meanwhile", required=False)
    rows = model.training.get("rows") if isinstance(model.training, dict) else None
    return Check("learned model", True, f"{path}: loads ({model.buckets} buckets"
                 + (f", trained on {rows} rows" if rows else "") + ")", required=False)


def _check_pool(name: str, cfg, *, required: bool) -> list[Check]:
    """A pool's checks: its backend line (ok when at least one host is ready; ``required`` as for
    any backend), then one line per host (reachable, model present; a failure is a warning)."""
    per_host = []
    for url in cfg.hosts:
        one = cfg.for_host(url)
        ok, detail = check_backend(name, one)
        if not detail.startswith(url) and url not in detail:
            detail = f"{url}: {detail}"
        where = zone_mismatch(one)
        if where:
            detail += f"; WARNING: declared local but {where} is public"
        per_host.append(Check(f"backend {name} host {url}", ok, detail, required=False))
    ready = sum(c.ok for c in per_host)
    head = Check(f"backend {name} ({cfg.kind}, {cfg.zone})", ready > 0,
                 f"pool: {ready} of {len(per_host)} hosts ready" + ("" if ready else " (none reachable with the model)"),
                 required=required)
    return [head] + per_host
