"""hrouter: a hybrid LLM router for the terminal.

Every prompt is tagged for sensitivity, scored for complexity, weighed against
latency, budget and capacity, and dispatched to a local (Ollama) or cloud
(Anthropic) backend, with the decision explained and audited.

Public API: :class:`Router`, :class:`Policy`, :class:`Decision`, :class:`Prompt`,
:func:`load_policy`, :data:`__version__`. Names resolve lazily so ``import hrouter``
stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Router", "Policy", "Decision", "Prompt", "RouteContext", "load_policy", "__version__"]

_LAZY = {
    "Router": ("hrouter.core", "Router"),
    "Policy": ("hrouter.policy_model", "Policy"),
    "Decision": ("hrouter.router", "Decision"),
    "RouteContext": ("hrouter.router", "RouteContext"),
    "Prompt": ("hrouter.prompt", "Prompt"),
    "load_policy": ("hrouter.policy", "load_policy"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hrouter' has no attribute {name!r}")
