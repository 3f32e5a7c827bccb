"""Who may change things: admin actions need the configured admin token.

The token comes from AKHBAR_ADMIN_TOKEN and is sent as
``Authorization: Bearer <token>``. With no token configured, admin
actions are switched off (403) rather than open.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import HTTPException, Request

log = logging.getLogger(__name__)


def require_admin(request: Request) -> None:
    """FastAPI dependency: 401 without a valid token, 403 when admin is off."""
    expected = request.app.state.settings.admin_token
    if not expected:
        raise HTTPException(403, "admin actions are disabled (set AKHBAR_ADMIN_TOKEN)")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # constant-time comparison: the token must not leak through timing
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        log.warning("admin action refused from %s", request.client.host if request.client else "?")
        raise HTTPException(401, "admin token required", headers={"WWW-Authenticate": "Bearer"})
