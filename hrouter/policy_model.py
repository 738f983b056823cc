"""The policy's typed shape: dataclasses with the defaults the loader fills in.

Kept apart from :mod:`hrouter.policy` (loading, validation, discovery) so every
module can import the types cheaply. All money is USD, all latencies ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Price:
    """List price in USD per million tokens (``input_per_mtok``, ``output_per_mtok``)."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        """Cost in USD of ``input_tokens`` in and ``output_tokens`` out."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


@dataclass(frozen=True)
class BackendConfig:
    """One backend from the policy's ``backends`` mapping.

    - ``kind``: ``ollama``, ``anthropic`` or ``openai`` (any OpenAI-compatible Chat Completions server).
    - ``model``: model name as the server knows it.
    - ``host``: Ollama base URL (ollama only).
    - ``base_url``: API base URL (anthropic only; None = the SDK's default).
    - ``zone``: ``local`` | ``private-cloud`` | ``public-cloud``.
    - ``price``: USD per million tokens.
    - ``max_tokens``: output cap per request (tokens).
    - ``context_window``: input limit (tokens); prompts estimated above it skip this backend.
    - ``capability``: 1–10, how hard a prompt this model handles well; complex prompts prefer higher.
    - ``ttft_ms``: expected time to first token (ms), the prior used by the latency rule.
    - ``timeout_s``: read timeout per call (s); connect timeout is ``connect_timeout_s``.
    - ``images``: whether the model accepts image input.
    - ``max_inflight``: capacity hint (requests in flight); None = unbounded.
    - ``api_key_env``: (openai kind) the environment variable holding the API key; None = no key
      (local OpenAI-compatible servers: llama.cpp, vLLM, LM Studio).
    - ``load_metrics``: ``vllm`` to read the server's Prometheus ``/metrics`` (running + waiting
      requests) as load for the capacity rule; ``metrics_url`` overrides where (default: the
      ``base_url`` root + ``/metrics``).
    """

    kind: str
    model: str
    zone: str
    host: str | None = None
    base_url: str | None = None
    price: Price = field(default_factory=Price)
    max_tokens: int = 1024
    context_window: int = 8192
    capability: int = 5
    ttft_ms: float = 1000.0
    timeout_s: float = 120.0
    connect_timeout_s: float = 3.0
    images: bool = False
    max_inflight: int | None = None
    api_key_env: str | None = None
    load_metrics: str | None = None
    metrics_url: str | None = None


@dataclass(frozen=True)
class CustomRule:
    """A user's sensitivity rule: ``keywords`` (whole words, case-insensitive) or a regex ``pattern``."""

    name: str
    tier: str
    keywords: tuple[str, ...] = ()
    pattern: str | None = None


DEFAULT_DETECTORS: dict[str, str] = {
    "ssn": "confidential",
    "credit_card": "confidential",
    "iban": "confidential",
    "email": "confidential",
    "phone": "confidential",
    "api_key": "confidential",
    "private_key": "confidential",
    "date_of_birth": "confidential",
    "classification_marking": "internal",
    "unreleased_financials": "internal",
    "national_id": "confidential",
    "medical_id": "confidential",
    "passport": "confidential",
    "salary": "confidential",
    "vehicle_plate": "confidential",
    "phi": "confidential",
    "image": "confidential",
}


@dataclass(frozen=True)
class SensitivityConfig:
    """``tiers``: tier -> zones it may reach; ``detectors``: built-in detector -> tier it sets
    (absent = off); ``custom``: the user's rules; ``internal_domains``: host suffixes that mark
    a prompt internal (e.g. ``.corp``); ``redact``: detectors whose findings may be replaced by
    typed placeholders (``[EMAIL_1]``) so the prompt may reach the zones its remaining findings
    permit (redact-then-send; empty = off, the default)."""

    tiers: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "public": ("local", "private-cloud", "public-cloud"),
        "internal": ("local", "private-cloud"),
        "confidential": ("local",),
    })
    detectors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DETECTORS))
    custom: tuple[CustomRule, ...] = ()
    internal_domains: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()


#: Complexity component weights (see :mod:`hrouter.signals.complexity`):
#: ``score = min(1, sum(weight * value))``. A weight >= the threshold lets that component
#: alone send a prompt to the capable backend; 0 switches a component off.
DEFAULT_WEIGHTS: dict[str, float] = {
    "length": 0.2,
    "reasoning": 0.45,
    "code": 0.4,
    "math": 0.45,
    "constraints": 0.4,
    "domain": 0.25,
    "multimodal": 0.5,
}


@dataclass(frozen=True)
class ComplexityConfig:
    """``threshold``: score at or above which the capable (higher-capability) backends are
    preferred; ``weights``: per component (see :mod:`hrouter.signals.complexity`)."""

    threshold: float = 0.35
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass(frozen=True)
class LatencyConfig:
    """``sla_ms``: required time to first token (ms); None = no requirement."""

    sla_ms: float | None = None


@dataclass(frozen=True)
class BudgetConfig:
    """``per_request_usd``: estimated cost cap per request (USD); ``session_usd``: cap per
    session (USD); ``downgrade_at``: share of the session budget after which the complexity
    threshold rises progressively; ``window_hours``: rolling window of the session budget
    (None = the whole session). None = no cap."""

    per_request_usd: float | None = None
    session_usd: float | None = None
    downgrade_at: float = 0.85
    window_hours: float | None = None


@dataclass(frozen=True)
class DispatchConfig:
    """``wait_s``: how long a prompt whose only permitted backends are all at ``max_inflight``
    waits for a slot (s; 0 = refuse at once, exit 3); ``cooldown_s``: how long a backend that
    failed for availability is tried last, across processes (s; 0 = never)."""

    wait_s: float = 10.0
    cooldown_s: float = 30.0


@dataclass(frozen=True)
class AuditConfig:
    """``enabled``: write records for ``ask``; ``path``: the JSONL file (None = state dir);
    ``log_prompt``: ``False`` (default: only an HMAC), ``True`` (the prompt with every finding
    masked) or ``"raw"`` (verbatim); ``required_for``: ``all`` (no call without a writable
    log) or ``cloud`` (local calls proceed with a warning when the log cannot be written;
    cloud egress never does); ``rotate_mb``: start a new file past this size (MB; None = never)."""

    enabled: bool = True
    path: str | None = None
    log_prompt: bool | str = False
    required_for: str = "all"
    rotate_mb: float | None = None


@dataclass(frozen=True)
class Policy:
    """The whole policy. ``source`` is where it was loaded from (a path or ``<built-in>``);
    ``digest`` the SHA-256 of its bytes (hex), recorded in the audit log."""

    backends: dict[str, BackendConfig]
    sensitivity: SensitivityConfig = field(default_factory=SensitivityConfig)
    complexity: ComplexityConfig = field(default_factory=ComplexityConfig)
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    version: int = 1
    strict_zones: bool = False
    source: str = "<built-in>"
    digest: str = ""
    #: Non-fatal findings about the policy (e.g. a public host declared zone local), one line each.
    warnings: tuple[str, ...] = ()
