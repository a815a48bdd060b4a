"""Connect Django users to Adobe Workfront over OAuth2 and keep their tokens alive."""

__version__ = "0.2.0.dev0"
