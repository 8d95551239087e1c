"""Services the suite needs: outside CI a missing one skips its tests, under CI it fails them.

A green CI must mean that PostgreSQL and the browser tests really ran; a laptop without
them still runs the rest.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
