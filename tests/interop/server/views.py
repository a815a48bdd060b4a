"""A stand-in for Workfront's API: who is the user behind this DOT-issued Bearer token."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from oauth2_provider.oauth2_backends import get_oauthlib_core

from tests.interop.server import IMS_ORG_ID, workfront_user_id


@require_GET
def user_search(request: HttpRequest, version: str) -> JsonResponse:
    """``USER/search?ID=$$USER.ID``: the token's user, a 401 for any other token."""
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=["workfront_api"])
    if not valid:
        # Workfront's own answer to a session it does not know.
        error = {
            "class": "com.attask.common.AuthenticationException",
            "message": "You are not currently logged in",
        }
        return JsonResponse({"error": error}, status=401)
    if request.headers.get("x-gw-ims-org-id") != IMS_ORG_ID:
        # Workfront's gateway wants the org id beside every IMS token.
        return JsonResponse({"error_code": "403010", "message": "Invalid org id"}, status=403)
    user = oauth_request.user
    row = {"ID": workfront_user_id(user.pk), "name": user.get_full_name(), "emailAddr": user.email}
    return JsonResponse({"data": [row]})
