"""secaudit: classify information systems into Vietnamese security levels and check their endpoints."""

__version__ = "0.1.0"
