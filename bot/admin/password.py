"""ADMIN_PASSWORD checked by comparing salted hashes in constant time.

The plain password is hashed once at start with a random salt and then forgotten; each
attempt is hashed the same way (scrypt, deliberately slow: ~30 ms, in a thread) and the
two digests are compared with `hmac.compare_digest`, so neither a timing difference nor
a memory dump of the process gives the password away.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os

# RFC 7914's interactive parameters: 16 MiB and tens of milliseconds per attempt.
_N, _R, _P = 2**14, 8, 1


def _digest(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


class Password:
    def __init__(self, password: str) -> None:
        self._salt = os.urandom(16)
        self._digest = _digest(password, self._salt)

    def matches(self, attempt: str) -> bool:
        return hmac.compare_digest(_digest(attempt, self._salt), self._digest)

    async def check(self, attempt: str) -> bool:
        """`matches` off the event loop: the hash costs a few tens of milliseconds."""
        return await asyncio.to_thread(self.matches, attempt)
