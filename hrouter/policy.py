"""Load, strictly validate and discover hrouter policies (YAML).

Discovery order (first that exists wins): ``--policy PATH``; ``$HROUTER_POLICY``;
``./hrouter.yaml``; ``<config dir>/hrouter.yaml`` (see :mod:`hrouter.paths`);
the built-in ``hrouter/policies/default.yaml``.

Validation is strict: unknown keys, duplicate keys, wrong types and bad values
raise :class:`hrouter.errors.PolicyError` naming the file, the 1-based line and
the dotted key (e.g. ``policy.yaml:7: backends.local.zone: must be one of ...``).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .errors import PolicyError
from .policy_model import (DEFAULT_DETECTORS, ROUTER_LOGICS, AuditConfig, BackendConfig, BudgetConfig, CascadeConfig,
                           ComplexityConfig, CustomRule, DispatchConfig, JudgeConfig, LatencyConfig, LearnedConfig,
                           Policy, Price, SensitivityConfig)
from .signals import TIERS, ZONES

BUILTIN_POLICY = Path(__file__).parent / "policies" / "default.yaml"
BACKEND_KINDS = ("ollama", "anthropic", "openai")
#: Detectors whose findings redact-then-send may replace by placeholders. Never secrets
#: (api_key, private_key): a credential must not leave even as a shape, nor images, nor PHI
#: (clinical context survives redaction of the identifier).
REDACTABLE = ("email", "phone", "credit_card", "iban", "ssn", "national_id", "date_of_birth", "passport",
              "medical_id", "vehicle_plate", "bank_account", "drivers_license", "mrz",
              "postal_address")
#: The widest set of zones each tier may ever reach, whatever a policy says (compliance by default).
_TIER_CEILING: dict[str, tuple[str, ...]] = {
    "public": ("local", "private-cloud", "public-cloud"),
    "internal": ("local", "private-cloud"),
    "confidential": ("local",),
}
#: Upper bounds of numbers a policy may hold (beyond them the arithmetic of costs, clocks and
#: budgets overflows: a 1e308 price makes every cost infinite, a 1e300 s timeout every request fail).
MAX_PRICE_PER_MTOK = 1_000_000  # USD per million tokens
MAX_TIMEOUT_S = 86_400  # s: timeout_s, connect_timeout_s (ttft_ms, latency.sla_ms: the same in ms)
MAX_BUDGET_USD = 1_000_000_000  # budget.per_request_usd, budget.session_usd
MAX_WINDOW_HOURS = 87_600  # budget.window_hours (ten years); judge.cache_ttl_s the same in s
MAX_ROTATE_MB = 1_000_000  # audit.rotate_mb
#: Per-kind defaults for fields a backend entry leaves out.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "ollama": {"host": "http://127.0.0.1:11434", "context_window": 8192, "capability": 3,
               "ttft_ms": 500.0, "images": False},
    "anthropic": {"context_window": 200_000, "capability": 8, "ttft_ms": 1500.0, "images": True},
    "openai": {"context_window": 8192, "capability": 5, "ttft_ms": 1000.0, "images": False},
}


def discover_policy_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """Return the policy file to use, or None for the built-in default.

    An explicit path or ``$HROUTER_POLICY`` is returned even if missing (loading it
    then fails with a clear error); ``./hrouter.yaml`` and the config-dir file are
    used only when they exist.
    """
    if explicit:
        return Path(explicit)
    env = os.environ.get("HROUTER_POLICY")
    if env:
        return Path(env)
    local = Path("hrouter.yaml")
    if local.is_file():
        return local
    from .paths import config_dir
    user = config_dir() / "hrouter.yaml"
    if user.is_file():
        return user
    return None


def load_policy(path: str | os.PathLike | None = None, *, discover: bool = True) -> Policy:
    """Load and validate a policy.

    ``path`` None with ``discover`` True follows the discovery order; None with
    ``discover`` False loads the built-in default. Raises :class:`PolicyError`.
    """
    chosen = discover_policy_path(path) if discover else (Path(path) if path else None)
    if chosen is None:
        return parse_policy(BUILTIN_POLICY.read_bytes(), source=str(BUILTIN_POLICY), builtin=True)
    try:
        data = read_regular_file(chosen, MAX_POLICY_BYTES)
    except FileNotFoundError:
        raise PolicyError("policy file not found", path=str(chosen)) from None
    except IsADirectoryError:
        raise PolicyError("is a directory, expected a YAML file", path=str(chosen)) from None
    except NotRegularFileError as exc:
        raise PolicyError(f"{exc}, expected a YAML file", path=str(chosen)) from None
    except FileTooLargeError:
        raise PolicyError(f"more than {MAX_POLICY_BYTES} bytes: too large for a policy file",
                          path=str(chosen)) from None
    except OSError as exc:
        raise PolicyError(f"cannot read policy file: {exc.strerror or exc}", path=str(chosen)) from None
    return parse_policy(data, source=str(chosen))


#: Policy files larger than this are refused (a policy is a few KB).
MAX_POLICY_BYTES = 4 * 1024 * 1024


class NotRegularFileError(OSError):
    """The path names a device, FIFO or socket: only regular files are read."""


class FileTooLargeError(OSError):
    """The file holds more than the caller's limit."""


def read_regular_file(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), at most ``limit`` of them.

    Opened non-blocking (a FIFO never blocks the open) and checked with ``fstat`` before any read:
    a directory raises IsADirectoryError, a device, FIFO or socket :class:`NotRegularFileError`
    (``/dev/zero`` reports size 0 and never ends), more than ``limit`` bytes
    :class:`FileTooLargeError` (at most ``limit + 1`` bytes are ever read). Other OSErrors pass."""
    import stat
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(mode):
            what = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                    or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise NotRegularFileError(f"is {what}" if not what.startswith("not") else what)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileTooLargeError(f"more than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_policy(data: bytes | str, *, source: str = "<policy>", builtin: bool = False) -> Policy:
    """Parse and validate policy YAML ``data``; ``source`` names it in errors. Raises PolicyError."""
    import yaml

    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"not valid UTF-8 (byte {exc.start})", path=source) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError(f"invalid YAML: {exc.problem or exc.context}", path=source, line=line) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", path=source) from None
    if root is None:
        raise PolicyError("empty policy file (it needs at least 'version: 1' and 'backends')", path=source)
    v = _Validator(source)
    policy = v.policy(root)
    digest = hashlib.sha256(raw).hexdigest()
    return Policy(**{**{f.name: getattr(policy, f.name) for f in fields(Policy)},
                     "source": "<built-in>" if builtin else source, "digest": digest})


def _legacy_ipv4(host: str):
    """``host`` as the IPv4 address the C resolver (``inet_aton``) reads it as, for the forms
    :mod:`ipaddress` refuses — ``134744072``, ``0x08080808``, ``127.1``, ``010.0.0.1`` (octal) —
    which HTTP clients connect to as addresses, not names; None for anything else."""
    import ipaddress
    import socket
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


#: Address blocks accepted for ``zone: local``, listed explicitly (not ``ipaddress.is_private``, whose
#: answer varies between Python releases — CVE-2024-4032 — and counts documentation and some
#: globally routed IPv6 blocks as private): loopback, RFC 1918, RFC 6598 shared space (CGNAT,
#: Tailscale-style overlays), link-local; IPv6 loopback, unique-local (RFC 4193), link-local.
LOCAL_NETWORKS = ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                  "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10")


def _is_local_ip(ip) -> bool:
    """Whether ``ip`` (IPv4/IPv6Address) lies in :data:`LOCAL_NETWORKS`; an IPv4-mapped IPv6
    address (``::ffff:a.b.c.d``) is judged by its IPv4 address."""
    import ipaddress
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in (ipaddress.ip_network(n) for n in LOCAL_NETWORKS) if net.version == ip.version)


def _ascii_host(host: str) -> str | None:
    """``host`` as HTTP clients send it: a non-ASCII name is IDNA-encoded (which also turns the
    full stops 。．｡ into ``.`` and fullwidth digits into ASCII: ``8。8。8。8`` is 8.8.8.8 to httpx);
    None when it cannot be encoded (then treated as not local)."""
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)\Z")


def _host_problem(hostname: str) -> str | None:
    """Why ``hostname`` (from urlsplit) is not a host the policy accepts, or None. Accepted: an
    IPv4 address in dotted-quad form, an IPv6 literal, or a DNS name whose labels are letters,
    digits, ``-`` and ``_`` after IDNA encoding. Refused: the legacy IPv4 forms (``0177.0.0.1``,
    ``127.1``, ``2130706433``, hex) — clients disagree on them (httpx refuses some, the C resolver
    reads octal) — and anything IDNA cannot encode, so the zone check and the client see one host."""
    import ipaddress
    try:
        ipaddress.ip_address(hostname)
        return None
    except ValueError:
        pass
    if _legacy_ipv4(hostname) is not None:
        return "write an IPv4 address as four decimal numbers (a.b.c.d), not in octal, hex or integer form"
    host = _ascii_host(hostname)
    if host is None:
        return "the host name cannot be encoded for DNS (IDNA)"
    labels = host.rstrip(".").split(".")
    if not hostname.isascii() and not any(label.startswith("xn--") for label in labels):
        # Look-alike characters that IDNA folds to plain ASCII (8。8。8。8, ℒocalhost, ①②⑦.0.0.1):
        # clients disagree on them; the policy names the host plainly.
        return f"write the host in plain ASCII ({host!r})"
    if not all(_HOST_LABEL.match(label) for label in labels):
        return "the host name has characters DNS names cannot have"
    return None


def zone_mismatch(cfg: BackendConfig) -> str | None:
    """For a backend declared ``zone: local``: its host when that is not in :data:`LOCAL_NETWORKS`
    and not a single-label or ``.local``/``.localhost``/``.internal``/``.lan``/``.home.arpa`` name;
    else None. The host is read as the HTTP client will connect to it (IDNA for non-ASCII names,
    integer/hex/octal IPv4 forms). Names are not resolved (no network at load).
    For a pool (``hosts``) every host is checked and the first public one is returned."""
    if cfg.zone != "local":
        return None
    import ipaddress
    from urllib.parse import urlsplit
    for url in getattr(cfg, "hosts", ()) or (cfg.host or cfg.base_url,):  # a pool: every host is checked
        if not url:
            return "the provider's public API (no host or base_url)"
        raw = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        host = _ascii_host(raw)
        if host is None:
            return raw
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = _legacy_ipv4(host)
            if ip is None:
                if host in ("localhost",) or host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa")) \
                        or "." not in host:
                    continue
                return raw
        if _is_local_ip(ip):
            continue
        return raw
    return None


def policy_to_dict(policy: Policy) -> dict:
    """The effective policy (defaults filled) as plain data, for ``hrouter policy show``."""
    out = asdict(policy)
    out.pop("source", None)
    out.pop("digest", None)
    out.pop("warnings", None)
    for b in out["backends"].values():
        b.pop("base_url" if b["kind"] == "ollama" else "host", None)
        if b.get("hosts"):  # a pool: hosts replaces host/base_url
            b["hosts"] = list(b["hosts"])
            b.pop("host", None)
            b.pop("base_url", None)
        else:
            b.pop("hosts", None)
        if b["kind"] != "openai":
            b.pop("api_key_env", None)
            b.pop("load_metrics", None)
            b.pop("metrics_url", None)
    sens = out["sensitivity"]
    sens["tiers"] = {k: list(v) for k, v in sens["tiers"].items()}
    sens["internal_domains"] = list(sens["internal_domains"])
    sens["custom"] = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in rule.items()
                       if v not in ((), None)} for rule in sens["custom"]]
    return out


def _url_identity(url: str, kind: str) -> tuple:
    """What makes two policy URLs the same server: scheme, lower-case host, port (defaulted) and
    path without a trailing ``/``. Ollama URLs are first normalised as its client does (a bare
    ``host:port`` is ``http://host:port``, no port is 11434)."""
    from urllib.parse import urlsplit
    if kind == "ollama":
        from .backends.ollama import normalize_host
        url = normalize_host(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


# --------------------------------------------------------------------------- validation

def check_learned_model(policy: Policy) -> None:
    """The strict check of ``hrouter policy validate``: a ``learned.model`` file that exists must
    be a model this hrouter reads (a missing one is only a warning: ``hrouter train`` writes it
    later; a bad one would make every ``ask``/``explain`` fall back to the rules with a note).
    Raises :class:`PolicyError` (key ``learned.model``, exit 2) naming the file and the fault."""
    model = policy.learned.model
    if not model or not os.path.exists(model):
        return
    from .learn.model import ModelFileError, load_model
    try:
        load_model(model)
    except ModelFileError as exc:
        raise PolicyError(f"not a model file this hrouter reads: {exc}", path=policy.source,
                          key="learned.model") from None


def _yaml_number_hint(value, integer: bool) -> str:
    """A hint for a number PyYAML read as text: YAML 1.1 (PyYAML's dialect) reads ``1e30``,
    ``1_000.5e3`` without a dot in the mantissa or a sign in the exponent as a string; also
    ``"30"`` in quotes. Empty when ``value`` does not parse as a number."""
    if not isinstance(value, str) or len(value) > 100:
        return ""
    try:
        number = float(value.replace("_", "")) if not integer else int(value.replace("_", ""))
    except (ValueError, OverflowError):
        return ""
    if number != number or number in (float("inf"), float("-inf")):
        return f" ({_short(value.strip())} is too large for a number)"
    text = value.strip()
    if not integer and "e" in text.lower():
        mantissa, _, exponent = text.lower().partition("e")
        if number == 0 and any(c in "123456789" for c in mantissa):
            # 1e-400 would read as 0.0 however it is spelt: do not suggest a spelling that underflows
            return f" ({text} is too small for a number, it would read as 0: write 0 or a larger number)"
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        exponent = exponent if exponent[:1] in "+-" else "+" + exponent
        return (f" (YAML 1.1 reads {text} as text: write {mantissa}e{exponent}, with a dot and a signed "
                "exponent, or a plain number)")
    if re.fullmatch(r"[-+]?0[0-9_]+", text):  # 08, 09: not octal, so text in YAML 1.1
        return f" (YAML 1.1 reads {text} as text (a leading 0 means octal): write {int(text.replace('_', ''))})"
    return f" (it is quoted or written as text: write {text} without quotes)"


def _short(text: str, limit: int = 24) -> str:
    """``text`` cut to ``limit`` characters, with its length when cut (a 400-digit number in an
    error message helps nobody)."""
    return text if len(text) <= limit else f"{text[:limit - 8]}…({len(text)} characters)"


def _num(value) -> str:
    """A number for an error message: repr, shortened when very long."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            text = str(value)
        except ValueError:  # beyond the int-to-text digit limit
            return "an integer too long to show"
        return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"
    return repr(value)


def _secret_shown(value: str) -> str:
    """``value`` masked like a secret: a short prefix and the length (``'sk-ant-…(43 chars)'``)."""
    keep = min(7, len(value) // 4)
    return repr(f"{value[:keep]}…({len(value)} chars)")


def _looks_like_secret(value: str) -> bool:
    """Whether ``value`` holds an API key, token or password (the tagger's api_key detector, or a
    long mixed-case alphanumeric run without underscores, as random keys are)."""
    try:
        from .signals.sensitivity import detect_api_key
        if list(detect_api_key(value)):
            return True
    except Exception:  # the detector failing must not hide the policy error; judge by shape
        pass
    return (len(value) >= 24 and "_" not in value and any(c.isdigit() for c in value)
            and any(c.islower() for c in value) and any(c.isupper() for c in value))


def _shown(value) -> str:
    """``value`` for an error message: strings with any credential in them (tagger's api_key
    detector: prefixed keys, passwords in URLs) masked, long text cut; numbers shortened."""
    if not isinstance(value, str):
        return _num(value)
    text = value
    try:
        from .signals.sensitivity import detect_api_key
        hits = sorted(detect_api_key(text), key=lambda h: h[0])
    except Exception:  # fail closed: a value the detector cannot scan is not shown
        return _secret_shown(text)
    out, pos = [], 0
    for hit in hits:
        start, end, masked = hit[0], hit[1], hit[2]
        if start < pos:
            continue
        out.append(text[pos:start] + masked)
        pos = end
    out.append(text[pos:])
    text = "".join(out)
    if text == value and _looks_like_secret(value):
        return _secret_shown(value)
    return repr(text if len(text) <= 200 else text[:200] + "…")


def _yaml11_surprise(node, value) -> str | None:
    """Why a plain (unquoted) scalar that YAML 1.1 (PyYAML) read as a number does not mean what
    it looks like, or None: ``017`` is octal (15), ``1:30`` base 60 (90). Read from the node's
    original text."""
    if getattr(node, "style", None) or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    text = str(node.value).strip()
    plain = text.replace("_", "")
    if ":" in plain:
        return (f"{text} is base 60 in YAML 1.1 (it reads as {_num(value)}): write the plain number you mean, "
                f"e.g. {_num(value)}")
    if re.fullmatch(r"[-+]?0[0-7]+", plain) and int(plain, 10) != value:
        return f"{text} is octal in YAML 1.1 (it reads as {_num(value)}): write {int(plain, 10)}"
    return None


class _Validator:
    """Walks the composed YAML node tree, checking every key against the schema."""

    def __init__(self, source: str) -> None:
        self.source = source

    # -- primitives
    def fail(self, node, key: str | None, message: str):
        line = node.start_mark.line + 1 if node is not None else None
        raise PolicyError(message, path=self.source, line=line, key=key)

    def mapping(self, node, key: str, allowed: tuple[str, ...] | None) -> dict[str, tuple[Any, Any]]:
        import yaml
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key or None, f"must be a mapping, got {self._kind(node)}")
        out: dict[str, tuple[Any, Any]] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                self.fail(knode, key or None, "keys must be plain strings")
            name = knode.value
            child = f"{key}.{name}" if key else name
            if name in out:
                self.fail(knode, child, "duplicate key")
            if allowed is not None and name not in allowed:
                import difflib  # only on the error path: ~8 ms to import
                hint = difflib.get_close_matches(name, allowed, n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else f" (allowed: {', '.join(allowed)})"
                self.fail(knode, child, f"unknown key{extra}")
            out[name] = (knode, vnode)
        return out

    @staticmethod
    def _kind(node) -> str:
        import yaml
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return _shown(node.value) if node.value != "" else "nothing"

    def scalar(self, node, key: str):
        import yaml
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, key, f"must be a single value, got {self._kind(node)}")
        from yaml.constructor import SafeConstructor
        try:
            return SafeConstructor().construct_object(node)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.fail(node, key, "bad value: " + " ".join(str(problem).split()))
        except (ValueError, OverflowError):  # an integer past Python's 4300-digit conversion limit
            self.fail(node, key, f"number too large ({len(node.value)} characters)")

    def string(self, node, key: str, *, choices: tuple[str, ...] | None = None, nullable=False) -> str | None:
        value = self.scalar(node, key)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or value == "":
            self.fail(node, key, f"must be a non-empty string, got {_shown(value)}")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            self.fail(node, key, f"must not contain control characters, got {_shown(value)}")
        if choices is not None and value not in choices:
            self.fail(node, key, f"must be one of {', '.join(choices)} (got {_shown(value)})")
        return value

    def number(self, node, key: str, *, lo: float | None = None, hi: float | None = None,
               nullable=False, integer=False, unit: str = "") -> float | int | None:
        """A number (an int when ``integer``) in ``[lo, hi]``; ``unit`` names it in the bound's message.
        Refused besides: NaN and infinities, integers too large for a float (a 400-digit budget),
        and YAML 1.1 surprises read from the node's text (``017`` octal, ``1:30`` base 60)."""
        value = self.scalar(node, key)
        if value is None and nullable:
            return None
        ok_types = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_types):
            what = "an integer" if integer else "a number"
            self.fail(node, key, f"must be {what}{' or null' if nullable else ''}, got {_shown(value)}"
                      + _yaml_number_hint(value, integer))
        surprise = _yaml11_surprise(node, value)
        if surprise:
            self.fail(node, key, surprise)
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):  # NaN, .inf
            self.fail(node, key, f"must be a finite number, got {value!r}")
        suffix = f" {unit}" if unit else ""
        if not integer:
            try:
                float(value)
            except OverflowError:  # an integer beyond any float: 400 digits
                self.fail(node, key, f"must be <= {_num(hi)}{suffix}, got {_num(value)}" if hi is not None
                          else f"too large a number, got {_num(value)}")
        if lo is not None and value < lo:
            self.fail(node, key, f"must be >= {_num(lo)}{suffix}, got {_num(value)}")
        if hi is not None and value > hi:
            self.fail(node, key, f"must be <= {_num(hi)}{suffix}, got {_num(value)}")
        return value

    def boolean(self, node, key: str) -> bool:
        value = self.scalar(node, key)
        if not isinstance(value, bool):
            self.fail(node, key, f"must be true or false, got {_shown(value)}")
        return value

    def string_list(self, node, key: str, *, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        import yaml
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, f"must be a list, got {self._kind(node)}")
        items = []
        for i, item in enumerate(node.value):
            items.append(self.string(item, f"{key}[{i}]", choices=choices))
        return tuple(items)

    # -- sections
    def policy(self, root) -> Policy:
        top = self.mapping(root, "", ("version", "backends", "sensitivity", "complexity", "latency",
                                      "budget", "audit", "dispatch", "strict_zones", "router", "learned",
                                      "judge", "cascade"))
        if "version" not in top:
            self.fail(root, "version", "missing (add 'version: 1')")
        vk, vn = top["version"]
        version = self.number(vn, "version", integer=True)
        if version != 1:
            self.fail(vn, "version", f"unsupported policy version {_num(version)} (this hrouter reads version 1)")
        if "backends" not in top:
            self.fail(root, "backends", "missing: declare at least one backend")
        backends = self.backends(top["backends"][1])
        sensitivity = self.sensitivity(top["sensitivity"][1]) if "sensitivity" in top else SensitivityConfig()
        complexity = self.complexity(top["complexity"][1]) if "complexity" in top else ComplexityConfig()
        latency = self.latency(top["latency"][1]) if "latency" in top else LatencyConfig()
        budget = self.budget(top["budget"][1]) if "budget" in top else BudgetConfig()
        audit = self.audit(top["audit"][1]) if "audit" in top else AuditConfig()
        dispatch = self.dispatch(top["dispatch"][1]) if "dispatch" in top else DispatchConfig()
        strict = self.boolean(top["strict_zones"][1], "strict_zones") if "strict_zones" in top else False
        judgement = self.judgement(top, backends)
        warnings = []
        for name, cfg in backends.items():
            if cfg.zone != "local" and not cfg.price.input_per_mtok and not cfg.price.output_per_mtok:
                warnings.append(f"backends.{name}: zone {cfg.zone} with no price: cost estimates, budget caps "
                                "and the audit log count its calls as free (set price: {input_per_mtok: ..., "
                                "output_per_mtok: ...} from the provider's price page)")
            where = zone_mismatch(cfg)
            if where:
                msg = (f"backends.{name}: declared zone local, but {where} is not a loopback or private "
                       "address: confidential prompts would leave the machine")
                if strict:
                    knode = next(k for k, _ in top["backends"][1].value if k.value == name)
                    self.fail(knode, f"backends.{name}.zone", msg.split(": ", 1)[1] + " (strict_zones: true)")
                warnings.append(msg)
        model = judgement["learned"].model
        router = judgement["router"]
        uses_learned = router == "learned" or (router == "cascade" and judgement["cascade"].second == "learned")
        if uses_learned and model and not os.path.exists(model):
            warnings.append(f"learned.model: {model}: no such file; the rules decide until "
                            f"`hrouter train --out {model}` writes it")
        return Policy(backends=backends, sensitivity=sensitivity, complexity=complexity, latency=latency,
                      budget=budget, audit=audit, dispatch=dispatch, version=version, strict_zones=strict,
                      warnings=tuple(warnings), **judgement)

    def judgement(self, top, backends) -> dict:
        """``router``, ``learned``, ``judge`` and ``cascade``: which logic decides local vs cloud."""
        root = top.get("router", (None, None))[1]
        router = self.string(root, "router", choices=ROUTER_LOGICS) if root is not None else "rules"
        learned, judge, cascade = LearnedConfig(), JudgeConfig(), CascadeConfig()
        if "learned" in top:
            m = self.mapping(top["learned"][1], "learned", ("model", "threshold"))
            values: dict[str, Any] = {}
            if "model" in m:
                path = self.string(m["model"][1], "learned.model", nullable=True)
                if path is not None:
                    path = os.path.expanduser(path)
                    if not os.path.isabs(path) and not self.source.startswith("<"):
                        path = os.path.join(os.path.dirname(os.path.abspath(self.source)), path)
                values["model"] = path
            if "threshold" in m:
                values["threshold"] = float(self.number(m["threshold"][1], "learned.threshold", lo=0, hi=1))
            learned = LearnedConfig(**values)
        if "judge" in top:
            m = self.mapping(top["judge"][1], "judge", ("backend", "timeout_ms", "cache_ttl_s"))
            values = {}
            name = self.string(m["backend"][1], "judge.backend", nullable=True) if "backend" in m else None
            if name is not None:
                cfg = backends.get(name)
                if cfg is None:
                    self.fail(m["backend"][1], "judge.backend", f"no backend named {name!r}")
                if cfg.kind != "ollama" or cfg.zone != "local":
                    self.fail(m["backend"][1], "judge.backend",
                              f"{name!r} is kind {cfg.kind}, zone {cfg.zone}: the judge sees every prompt, "
                              "so it must be an ollama backend in zone local")
                if cfg.hosts:
                    self.fail(m["backend"][1], "judge.backend",
                              f"{name!r} is a pool (hosts:); the judge needs one ollama backend with host:")
                values["backend"] = name
            if "timeout_ms" in m:
                values["timeout_ms"] = float(self.number(m["timeout_ms"][1], "judge.timeout_ms", lo=50, hi=120_000))
            if "cache_ttl_s" in m:
                values["cache_ttl_s"] = float(self.number(m["cache_ttl_s"][1], "judge.cache_ttl_s", lo=0,
                                                          hi=MAX_WINDOW_HOURS * 3600, unit="s (ten years)"))
            judge = JudgeConfig(**values)
        if "cascade" in top:
            m = self.mapping(top["cascade"][1], "cascade", ("band", "second"))
            values = {}
            if "band" in m:
                values["band"] = float(self.number(m["band"][1], "cascade.band", lo=0, hi=1))
            if "second" in m:
                values["second"] = self.string(m["second"][1], "cascade.second", choices=("learned", "judge"))
            cascade = CascadeConfig(**values)
        needs = {router} | ({cascade.second} if router == "cascade" else set())
        if "learned" in needs and learned.model is None:
            self.fail(root, "learned.model", f"router: {router} needs 'learned: {{model: PATH}}' "
                      "(a model file written by hrouter train)")
        if "judge" in needs and judge.backend is None:
            self.fail(root, "judge.backend", f"router: {router} needs 'judge: {{backend: NAME}}' "
                      "(an ollama backend in zone local)")
        return {"router": router, "learned": learned, "judge": judge, "cascade": cascade}

    def dispatch(self, node) -> DispatchConfig:
        m = self.mapping(node, "dispatch", ("wait_s", "cooldown_s"))
        values: dict[str, Any] = {}
        for name in ("wait_s", "cooldown_s"):
            if name in m:
                values[name] = float(self.number(m[name][1], f"dispatch.{name}", lo=0, hi=3600))
        return DispatchConfig(**values)

    def backends(self, node) -> dict[str, BackendConfig]:
        entries = self.mapping(node, "backends", None)
        if not entries:
            self.fail(node, "backends", "must declare at least one backend")
        out = {}
        for name, (knode, vnode) in entries.items():
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                self.fail(knode, f"backends.{name}", "backend names use letters, digits, '_', '-', '.'")
            out[name] = self.backend(vnode, f"backends.{name}")
        return out

    _BACKEND_KEYS = ("kind", "model", "zone", "host", "base_url", "price", "max_tokens", "context_window",
                     "capability", "ttft_ms", "timeout_s", "connect_timeout_s", "images", "max_inflight",
                     "api_key_env", "load_metrics", "metrics_url", "hosts")

    def backend(self, node, key: str) -> BackendConfig:
        m = self.mapping(node, key, self._BACKEND_KEYS)
        for required in ("kind", "model", "zone"):
            if required not in m:
                self.fail(node, f"{key}.{required}", "missing (required)")
        kind = self.string(m["kind"][1], f"{key}.kind", choices=BACKEND_KINDS)
        values: dict[str, Any] = dict(KIND_DEFAULTS[kind])
        values["kind"] = kind
        values["model"] = self.string(m["model"][1], f"{key}.model")
        values["zone"] = self.string(m["zone"][1], f"{key}.zone", choices=ZONES)
        if "hosts" in m:
            values.update(self.hosts(m, kind, key))
        if "host" in m:
            if kind != "ollama":
                self.fail(m["host"][0], f"{key}.host", f"only for kind ollama; {kind} backends use base_url")
            values["host"] = self.url(m["host"][1], f"{key}.host", bare_ok=True)
        if "base_url" in m:
            if kind == "ollama":
                self.fail(m["base_url"][0], f"{key}.base_url", "ollama backends use host")
            values["base_url"] = self.url(m["base_url"][1], f"{key}.base_url", nullable=True)
        if kind == "openai" and not values.get("base_url") and not values.get("hosts"):
            self.fail(node, f"{key}.base_url", "missing (required for kind openai: the server's /v1 URL)")
        if "api_key_env" in m:
            if kind != "openai":
                self.fail(m["api_key_env"][0], f"{key}.api_key_env", "only for kind openai")
            vnode = m["api_key_env"][1]
            raw = self.scalar(vnode, f"{key}.api_key_env")
            if isinstance(raw, str) and raw and (not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", raw)
                                                 or _looks_like_secret(raw)):
                # Most likely the key itself: never echoed, not even in part beyond a prefix.
                self.fail(vnode, f"{key}.api_key_env",
                          "must be an environment variable name (the key itself never goes in the policy), "
                          f"got {_secret_shown(raw)}")
            name = self.string(vnode, f"{key}.api_key_env")
            values["api_key_env"] = name
        if "load_metrics" in m:
            values["load_metrics"] = self.string(m["load_metrics"][1], f"{key}.load_metrics", choices=("vllm",))
            if kind != "openai":
                self.fail(m["load_metrics"][0], f"{key}.load_metrics", "only for kind openai (a vLLM server)")
        if "metrics_url" in m:
            if "hosts" in m:
                self.fail(m["metrics_url"][0], f"{key}.metrics_url",
                          "names one server; a pool (hosts) reads each host's own /metrics")
            values["metrics_url"] = self.url(m["metrics_url"][1], f"{key}.metrics_url")
        if kind == "anthropic" and values["zone"] != "public-cloud" and not values.get("base_url") \
                and not values.get("hosts"):
            # Without base_url the SDK talks to ANTHROPIC_BASE_URL or api.anthropic.com: the public cloud.
            self.fail(m["zone"][1], f"{key}.zone",
                      f"an anthropic backend in zone {values['zone']} needs an explicit base_url "
                      "(without one it reaches the public Anthropic API)")
        if "price" in m:
            pm = self.mapping(m["price"][1], f"{key}.price", ("input_per_mtok", "output_per_mtok"))
            values["price"] = Price(**{k: float(self.number(v, f"{key}.price.{k}", lo=0, hi=MAX_PRICE_PER_MTOK,
                                                            unit="USD per million tokens"))
                                       for k, (_, v) in pm.items()})
        ints = {"max_tokens": (1, 1_000_000), "context_window": (1, 100_000_000), "capability": (1, 10),
                "max_inflight": (1, 100_000)}
        for name, (lo, hi) in ints.items():
            if name in m:
                values[name] = self.number(m[name][1], f"{key}.{name}", lo=lo, hi=hi, integer=True,
                                           nullable=(name == "max_inflight"))
        for name, hi, unit in (("ttft_ms", MAX_TIMEOUT_S * 1000, "ms (one day)"),
                               ("timeout_s", MAX_TIMEOUT_S, "s (one day)"),
                               ("connect_timeout_s", MAX_TIMEOUT_S, "s (one day)")):
            if name in m:
                value = self.number(m[name][1], f"{key}.{name}", lo=0, hi=hi, unit=unit)
                if value <= 0:
                    self.fail(m[name][1], f"{key}.{name}", f"must be > 0, got {value!r}")
                values[name] = float(value)
        if "images" in m:
            values["images"] = self.boolean(m["images"][1], f"{key}.images")
        return BackendConfig(**values)

    def hosts(self, m: dict, kind: str, key: str) -> dict[str, Any]:
        """A pool's ``hosts``: a non-empty list of URLs (each checked like ``host`` for ollama or
        ``base_url`` otherwise), no duplicates, not together with ``host``/``base_url``. Returns
        the values to set (``hosts``, and ``host``/``base_url`` None)."""
        import yaml
        knode, node = m["hosts"]
        single = "host" if kind == "ollama" else "base_url"
        for other in ("host", "base_url"):
            if other in m:
                self.fail(m[other][0], f"{key}.{other}",
                          f"give either {single} (one server) or hosts (a pool), not both")
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{key}.hosts", f"must be a list of {single} URLs, got {self._kind(node)}")
        if not node.value:
            self.fail(node, f"{key}.hosts", "must list at least one host")
        urls, seen = [], {}
        for i, item in enumerate(node.value):
            url = self.url(item, f"{key}.hosts[{i}]", bare_ok=(kind == "ollama"))
            ident = _url_identity(url, kind)
            if ident in seen:
                self.fail(item, f"{key}.hosts[{i}]", f"duplicate host {_shown(url)} (same server as hosts[{seen[ident]}])")
            seen[ident] = i
            urls.append(url)
        return {"hosts": tuple(urls), "host": None, "base_url": None}

    def url(self, node, key: str, *, bare_ok=False, nullable=False) -> str | None:
        value = self.string(node, key, nullable=nullable)
        if value is None:
            return None
        if re.search(r"\s", value):
            self.fail(node, key, f"must be a URL without spaces, got {_shown(value)}")
        if "://" in value:
            scheme = value.split("://", 1)[0]
            if scheme not in ("http", "https"):
                self.fail(node, key, f"scheme must be http or https, got {scheme!r}")
            full = value
        elif not bare_ok:
            self.fail(node, key, f"must be an http(s) URL, got {_shown(value)}")
        else:
            full = "http://" + value
        from urllib.parse import urlsplit
        try:
            parts = urlsplit(full)
            parts.port  # raises ValueError when out of range or not a number
        except ValueError as exc:
            self.fail(node, key, f"not a valid URL ({exc}): {_shown(value)}")
        if not parts.hostname:
            self.fail(node, key, f"URL has no host: {_shown(value)}")
        problem = _host_problem(parts.hostname)
        if problem:
            self.fail(node, key, f"{problem}: {_shown(value)}")
        return value

    def sensitivity(self, node) -> SensitivityConfig:
        m = self.mapping(node, "sensitivity", ("tiers", "detectors", "custom", "internal_domains", "redact"))
        base = SensitivityConfig()
        tiers = dict(base.tiers)
        if "tiers" in m:
            tm = self.mapping(m["tiers"][1], "sensitivity.tiers", TIERS)
            for tier, (_, vnode) in tm.items():
                tiers[tier] = self.string_list(vnode, f"sensitivity.tiers.{tier}", choices=ZONES)
            # The product's promise is not configurable: a policy may narrow a tier's zones, never widen them.
            for tier, ceiling in _TIER_CEILING.items():
                beyond = [z for z in tiers[tier] if z not in ceiling]
                if beyond:
                    vnode = tm[tier][1] if tier in tm else m["tiers"][1]
                    self.fail(vnode, f"sensitivity.tiers.{tier}",
                              f"{tier} prompts may never reach {', '.join(beyond)} (allowed: {', '.join(ceiling)})")
        detectors = dict(base.detectors)
        if "detectors" in m:
            dm = self.mapping(m["detectors"][1], "sensitivity.detectors", tuple(DEFAULT_DETECTORS))
            for name, (_, vnode) in dm.items():
                value = self.scalar(vnode, f"sensitivity.detectors.{name}")
                if value is False or value == "off":
                    detectors.pop(name, None)
                elif value in TIERS:
                    detectors[name] = value
                else:
                    self.fail(vnode, f"sensitivity.detectors.{name}",
                              f"must be a tier ({', '.join(TIERS)}) or off, got {_shown(value)}")
        custom: list[CustomRule] = []
        if "custom" in m:
            import yaml
            cnode = m["custom"][1]
            if not isinstance(cnode, yaml.SequenceNode):
                self.fail(cnode, "sensitivity.custom", f"must be a list of rules, got {self._kind(cnode)}")
            names = set()
            for i, rnode in enumerate(cnode.value):
                custom.append(self.custom_rule(rnode, f"sensitivity.custom[{i}]", names))
        domains = base.internal_domains
        if "internal_domains" in m:
            domains = self.string_list(m["internal_domains"][1], "sensitivity.internal_domains")
            for i, d in enumerate(domains):
                if not re.fullmatch(r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", d):
                    self.fail(m["internal_domains"][1].value[i], f"sensitivity.internal_domains[{i}]",
                              f"must be a domain suffix like .corp, got {_shown(d)}")
            domains = tuple(d if d.startswith(".") else "." + d for d in domains)
        redact: tuple[str, ...] = ()
        if "redact" in m:
            redact = self.string_list(m["redact"][1], "sensitivity.redact")
            for i, name in enumerate(redact):
                if name not in REDACTABLE:
                    self.fail(m["redact"][1].value[i], f"sensitivity.redact[{i}]",
                              f"{name!r} cannot be redacted (redactable: {', '.join(REDACTABLE)}; never secrets, "
                              "PHI or images)")
        return SensitivityConfig(tiers=tiers, detectors=detectors, custom=tuple(custom), internal_domains=domains,
                                 redact=redact)

    def custom_rule(self, node, key: str, names: set) -> CustomRule:
        m = self.mapping(node, key, ("name", "tier", "keywords", "pattern"))
        for required in ("name", "tier"):
            if required not in m:
                self.fail(node, f"{key}.{required}", "missing (required)")
        name = self.string(m["name"][1], f"{key}.name")
        if name in names:
            self.fail(m["name"][1], f"{key}.name", f"duplicate rule name {name!r}")
        names.add(name)
        tier = self.string(m["tier"][1], f"{key}.tier", choices=TIERS)
        if ("keywords" in m) == ("pattern" in m):
            self.fail(node, key, "give exactly one of 'keywords' (a list) or 'pattern' (a regex)")
        if "keywords" in m:
            kws = self.string_list(m["keywords"][1], f"{key}.keywords")
            if not kws:
                self.fail(m["keywords"][1], f"{key}.keywords", "must list at least one keyword")
            return CustomRule(name=name, tier=tier, keywords=kws)
        pattern = self.string(m["pattern"][1], f"{key}.pattern")
        import regex  # the engine the tagger runs custom patterns with (it has a match timeout)

        try:
            compiled = regex.compile(pattern)
        except (regex.error, ValueError, OverflowError) as exc:
            self.fail(m["pattern"][1], f"{key}.pattern", f"invalid regex: {exc}")
        if compiled.fullmatch(""):
            self.fail(m["pattern"][1], f"{key}.pattern", "regex matches the empty string (it would tag every prompt)")
        return CustomRule(name=name, tier=tier, pattern=pattern)

    def complexity(self, node) -> ComplexityConfig:
        m = self.mapping(node, "complexity", ("threshold", "weights"))
        base = ComplexityConfig()
        threshold = base.threshold
        if "threshold" in m:
            threshold = float(self.number(m["threshold"][1], "complexity.threshold", lo=0, hi=1))
        weights = dict(base.weights)
        if "weights" in m:
            wm = self.mapping(m["weights"][1], "complexity.weights", tuple(base.weights))
            for name, (_, vnode) in wm.items():
                weights[name] = float(self.number(vnode, f"complexity.weights.{name}", lo=0, hi=10))
        return ComplexityConfig(threshold=threshold, weights=weights)

    def latency(self, node) -> LatencyConfig:
        m = self.mapping(node, "latency", ("sla_ms",))
        sla = None
        if "sla_ms" in m:
            sla = self.number(m["sla_ms"][1], "latency.sla_ms", lo=1, hi=MAX_TIMEOUT_S * 1000, nullable=True,
                              unit="ms (one day)")
        return LatencyConfig(sla_ms=float(sla) if sla is not None else None)

    def budget(self, node) -> BudgetConfig:
        m = self.mapping(node, "budget", ("per_request_usd", "session_usd", "downgrade_at", "window_hours"))
        values: dict[str, Any] = {}
        if "window_hours" in m:
            v = self.number(m["window_hours"][1], "budget.window_hours", lo=0.001, hi=MAX_WINDOW_HOURS,
                            nullable=True, unit="hours (ten years)")
            values["window_hours"] = float(v) if v is not None else None
        for name in ("per_request_usd", "session_usd"):
            if name in m:
                v = self.number(m[name][1], f"budget.{name}", lo=0, hi=MAX_BUDGET_USD, nullable=True, unit="USD")
                values[name] = float(v) if v is not None else None
        if "downgrade_at" in m:
            values["downgrade_at"] = float(self.number(m["downgrade_at"][1], "budget.downgrade_at", lo=0, hi=1))
        return BudgetConfig(**values)

    def audit(self, node) -> AuditConfig:
        m = self.mapping(node, "audit", ("enabled", "path", "log_prompt", "required_for", "rotate_mb"))
        values: dict[str, Any] = {}
        if "enabled" in m:
            values["enabled"] = self.boolean(m["enabled"][1], "audit.enabled")
        if "path" in m:
            values["path"] = self.string(m["path"][1], "audit.path", nullable=True)
        if "log_prompt" in m:
            value = self.scalar(m["log_prompt"][1], "audit.log_prompt")
            if value not in (True, False, "raw"):
                self.fail(m["log_prompt"][1], "audit.log_prompt",
                          f"must be false, true (findings masked) or raw, got {_shown(value)}")
            values["log_prompt"] = value
        if "required_for" in m:
            values["required_for"] = self.string(m["required_for"][1], "audit.required_for", choices=("all", "cloud"))
        if "rotate_mb" in m:
            v = self.number(m["rotate_mb"][1], "audit.rotate_mb", lo=0.001, hi=MAX_ROTATE_MB, nullable=True,
                            unit="MB")
            values["rotate_mb"] = float(v) if v is not None else None
        return AuditConfig(**values)
