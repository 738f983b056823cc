"""The policy's typed shape: dataclasses with the defaults the loader fills in.

Kept apart from :mod:`hrouter.policy` (loading, validation, discovery) so every
module can import the types cheaply. All money is USD, all latencies ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


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
    - ``host``: Ollama base URL (ollama only; None for a pool).
    - ``base_url``: API base URL (openai, anthropic; None = the SDK's default, or a pool).
    - ``hosts``: a pool: several servers of the same model (Ollama URLs for kind ollama, API base
      URLs for openai/anthropic), used instead of ``host``/``base_url``; empty = one server.
      Each request goes to the least loaded reachable host (see :meth:`hrouter.core.Router.ask`);
      ``max_inflight`` then counts per host.
    - ``zone``: ``local`` | ``private-cloud`` | ``public-cloud``.
    - ``price``: USD per million tokens.
    - ``max_tokens``: output cap per request (tokens).
    - ``context_window``: input limit (tokens); prompts estimated above it skip this backend.
    - ``capability``: 1–10, how hard a prompt this model handles well; complex prompts prefer higher.
    - ``ttft_ms``: expected time to first token (ms), the prior used by the latency rule.
    - ``timeout_s``: read timeout per call (s); connect timeout is ``connect_timeout_s``.
    - ``images``: whether the model accepts image input.
    - ``max_inflight``: capacity hint (requests in flight); None = unbounded. For a pool it is
      per host: the pool takes ``max_inflight`` × ``len(hosts)`` requests at once.
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
    hosts: tuple[str, ...] = ()

    @property
    def endpoints(self) -> tuple[str | None, ...]:
        """Every server URL of this backend: the pool's ``hosts``, else ``(host or base_url,)``
        (``(None,)`` for an anthropic backend on the SDK's default URL)."""
        return self.hosts or (self.host or self.base_url,)

    def for_host(self, url: str) -> "BackendConfig":
        """This backend narrowed to one server of its pool: ``host`` (ollama) or ``base_url``
        (openai, anthropic) set to ``url``, ``hosts`` empty. The backends only ever see such
        single-server configs."""
        if self.kind == "ollama":
            return replace(self, host=url, hosts=())
        return replace(self, base_url=url, hosts=())


def host_key(backend: str, url: str) -> str:
    """The state-db key of one host of a pool: ``"<backend>@<url>"`` (trailing ``/`` dropped).

    In-flight slots, latency samples and cooldowns of a pool's hosts are kept under these keys
    (shared by every process using the same policy); the backend's own name keeps the
    backend-level latency samples the latency rule reads."""
    return f"{backend}@{url.rstrip('/')}"


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
    "bank_account": "confidential",
    "mrz": "confidential",
    "seed_phrase": "confidential",
    "drivers_license": "confidential",
    "postal_address": "confidential",
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


ROUTER_LOGICS = ("rules", "learned", "judge", "cascade")


@dataclass(frozen=True)
class LearnedConfig:
    """The learned router (``hrouter train``). ``model``: path of its JSON model file (a relative
    path is resolved against the policy file's directory; None = not configured); ``threshold``:
    the cloud tier is preferred when P(local answer insufficient) = 1 - P(local ok) >= threshold."""

    model: str | None = None
    threshold: float = 0.5


@dataclass(frozen=True)
class JudgeConfig:
    """The LLM-as-judge: ``backend`` names a policy backend of kind ollama in zone local (the only
    kind of judge a prompt may go to); ``timeout_ms``: the whole judge call's bound (ms), past which
    the rules decide; ``cache_ttl_s``: how long a verdict is reused for the same prompt (s)."""

    backend: str | None = None
    timeout_ms: float = 2000.0
    cache_ttl_s: float = 7 * 86400.0


@dataclass(frozen=True)
class CascadeConfig:
    """``router: cascade``: the rules decide when the complexity score is at least ``band`` away
    from the threshold; inside the band the ``second`` opinion (``learned`` or ``judge``) decides."""

    band: float = 0.1
    second: str = "learned"


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
    #: Which logic decides local vs cloud among permitted backends: one of :data:`ROUTER_LOGICS`.
    router: str = "rules"
    learned: LearnedConfig = field(default_factory=LearnedConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    cascade: CascadeConfig = field(default_factory=CascadeConfig)
    version: int = 1
    strict_zones: bool = False
    source: str = "<built-in>"
    digest: str = ""
    #: Non-fatal findings about the policy (e.g. a public host declared zone local), one line each.
    warnings: tuple[str, ...] = ()
