"""Our app against an OAuth2/OpenID Connect server that is not ours (django-oauth-toolkit)."""
