"""stockmon: self-hosted stock monitoring (the library behind scheduler.py and the app)."""

__version__ = "0.1.0"
