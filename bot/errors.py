"""Exceptions the bot raises on purpose.

    BotError
     ├── ConfigError        a setting is missing or malformed; names the variable
     └── BroadcastError     a broadcast cannot be created, sent or cancelled as asked

Catalog files have their own tree in `catalog.errors` (the catalog package does not
depend on the runtime).

Anything else escaping a handler is a bug: the conversation engine logs it and answers
the person politely instead of crashing the process.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises deliberately."""


class ConfigError(BotError):
    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class BroadcastError(BotError):
    """Said to the organizer as is: it names what is wrong and what to do instead."""
