"""DOT's validator with IMS-like claims: ``name`` and ``email`` beside ``sub``."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class IMSLikeValidator(OAuth2Validator):
    """Userinfo and id_tokens carry the user's name and email, whatever the scopes."""

    # IMS returns them for AdobeID; DOT would tie them to ``profile`` and ``email``.
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, str]:
        """The claims added to ``sub``."""
        user = request.user
        return {"name": user.get_full_name(), "email": user.email}
