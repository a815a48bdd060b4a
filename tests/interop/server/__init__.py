"""A standalone django-oauth-toolkit server on Adobe IMS's paths, for the interop tests.

It is its own Django project (settings, URLs, a SQLite file) run in a subprocess by
``run.py``: nothing of our app is imported into it, so it reads the specs its own way. This
module holds the values both sides agree on beforehand, as a Developer Console project would
show them; it imports nothing from Django.
"""

from __future__ import annotations

CLIENT_ID = "interop-web-app"
# Reserved characters on purpose: RFC 6749 2.3.1 makes the client form-urlencode its
# credentials before HTTP Basic, and DOT decodes them, so a client that skips it is refused.
CLIENT_SECRET = "p8e-interop+secret/with:reserved%chars"
#: Our callback as the Django test client reaches it.
REDIRECT_URI = "http://testserver/workfront/callback/"
# A second registered URI: with only one, DOT would fill in a missing redirect_uri at the token
# endpoint, where RFC 6749 4.1.3 makes the client send it.
OTHER_REDIRECT_URI = "http://testserver/elsewhere/callback/"
USERNAME = "ims-user"
PASSWORD = "ims-user-password"
EMAIL = "ims-user@example.com"
FULL_NAME = "Ines Interop"
IMS_ORG_ID = "TEST@AdobeOrg"
#: The scopes the server knows: Workfront's user sign-in scopes (IMS.md).
SCOPES = {
    "openid": "OpenID Connect",
    "AdobeID": "Adobe ID",
    "offline_access": "Refresh tokens",
    "read_organizations": "Organisations",
    "additional_info.projectedProductContext": "Product context",
    "workfront_api": "Workfront API",
}


def workfront_user_id(user_pk: int) -> str:
    """The Workfront ``USER`` ID of the server's user with that primary key."""
    return f"wf{user_pk:030x}"
