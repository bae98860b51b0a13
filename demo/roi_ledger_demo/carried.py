"""What one demo writer decides that a later one must agree with.

The writers run in the order of ``WRITERS`` (``__init__.py``), each given the world, its dataset's folder and
one ``Carried``: the usage writers put the billable tokens they wrote there (FOCUS token charges equal them
times price, to the nano-dollar; Bedrock's invocation logs theirs per caller, billed by IAM principal), the
SaaS licence writer the seats it billed (FOCUS seat subscriptions), and the first delivery writer the Four
Keys history the other two share (simulated once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: (month start, system id or "" (LiteLLM) / project id (OpenAI), model)
#: -> [billed input tokens, billed output tokens]
TokenTotals = dict[tuple[dt.date, str, str], list[int]]

#: Bedrock invocations outside the gateway: (month start, caller ARN, foundation model id)
#: -> [input, cache read, cache write, output] tokens
CallerTokens = dict[tuple[dt.date, str, str], list[int]]

#: OpenAI's other endpoints: (month start, project id, model or "", result kind, image size or "") -> [quantity]
UnitTotals = dict[tuple[dt.date, str, str, str, str], list[int]]


@dataclass(frozen=True)
class FourKeys:
    """The simulated Four Keys history: changes and deployments per month, incidents (rows as written)."""

    changes_by_month: dict[dt.date, list[list]]
    deploys_by_month: dict[dt.date, list[dict]]
    incidents: list[list]


@dataclass
class Carried:
    litellm_tokens: TokenTotals = field(default_factory=dict)
    openai_tokens: TokenTotals = field(default_factory=dict)
    openai_units: UnitTotals = field(default_factory=dict)
    bedrock_calls: CallerTokens = field(default_factory=dict)
    billed_seats: list[dict] = field(default_factory=list)
    four_keys: FourKeys | None = None
