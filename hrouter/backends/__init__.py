"""Backends: the model servers hrouter dispatches to. SDKs are imported lazily, per backend kind."""

from __future__ import annotations

from .base import Backend, CompletionRequest, Completion, Usage


def create_backend(name: str, config) -> Backend:
    """Build the backend for a policy entry (``config`` is a :class:`hrouter.policy.BackendConfig`).

    Imports only the module for that kind, so a local route never imports the anthropic SDK.
    Raises ValueError on an unknown kind (the policy loader rejects those first).
    """
    if config.kind == "ollama":
        from .ollama import OllamaBackend
        return OllamaBackend(name, config)
    if config.kind == "anthropic":
        from .anthropic import AnthropicBackend
        return AnthropicBackend(name, config)
    if config.kind == "openai":
        from .openai import OpenAIBackend
        return OpenAIBackend(name, config)
    raise ValueError(f"unknown backend kind {config.kind!r}")


__all__ = ["Backend", "CompletionRequest", "Completion", "Usage", "create_backend"]
