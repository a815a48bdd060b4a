"""A local stand-in for Workfront (legacy OAuth2 app and a REST API subset), for tests and demos."""

from __future__ import annotations
