"""A time-based one-time password computed here, independently of django-otp, as an
authenticator app would: RFC 6238 (TOTP) over RFC 4226 (HOTP), HMAC-SHA1, 30-second steps,
6 digits. Checked against the RFC's own test vector in tests/web/test_two_factor.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def hotp(key: bytes, counter: int, digits: int = 6) -> str:
    """RFC 4226 section 5.3: dynamic truncation of HMAC-SHA1(key, counter)."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp(secret_base32: str, *, at: float | None = None, step_offset: int = 0) -> str:
    """The code for a secret shown as base32 (spaces allowed), ``step_offset`` 30-second
    steps from now (an app's clock a step ahead is accepted, so a test need not wait for
    the next step to sign in again after set-up)."""
    cleaned = secret_base32.replace(" ", "").upper()
    key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    moment = time.time() if at is None else at
    return hotp(key, int(moment // 30) + step_offset)
