"""What `/metrics` shows: traffic per channel and language, send latency, errors.

One registry per server rather than prometheus_client's global one, so tests and
benchmarks that start several servers in one process count each separately.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SEND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_in = Counter(
            "bot_messages_in",
            "Messages received from people, by channel and the language answered in.",
            ["channel", "language"],
            registry=self.registry,
        )
        self.messages_out = Counter(
            "bot_messages_out",
            "Messages handed to a provider, by channel, language, kind and outcome.",
            ["channel", "language", "kind", "outcome"],
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "bot_send_seconds",
            "Time the provider took to accept one message.",
            ["channel"],
            buckets=_SEND_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "bot_errors",
            "Failures inside the bot: failed turns, dispatcher loop errors, bad callbacks.",
            ["where"],
            registry=self.registry,
        )
        self.refused = Counter(
            "bot_requests_refused",
            "Webhook requests refused, by endpoint and reason (forged, malformed, too large).",
            ["endpoint", "reason"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
