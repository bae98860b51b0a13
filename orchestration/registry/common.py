"""What the registry's declarations share: the field constructor and the value lists two systems use."""

from __future__ import annotations

from orchestration.dataset_model import Field


def f(
    name: str,
    source: str | None = None,
    type: str = "string",
    *,
    req: bool = False,
    allowed: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    desc: str = "",
    money: bool = False,
    future: bool = False,
    epoch_seconds: bool = False,
    value_aliases: tuple[tuple[str, str], ...] = (),
    when: tuple[str, tuple[str, ...]] | None = None,
) -> Field:
    """A contract field; ``source`` (the header name or JSON path) defaults to the name; ``when``: the field's
    ``required_when``."""
    return Field(
        name, source or name, type, req, allowed, aliases, desc, money, future, epoch_seconds, value_aliases, when
    )


INCIDENT_CATEGORIES = (
    "credential_abuse",
    "data_exposure",
    "prompt_injection",
    "malware",
    "phishing",
    "misconfiguration",
    "insider",
    "other",
)
