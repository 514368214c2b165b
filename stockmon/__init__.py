"""stockmon: self-hosted stock monitoring (the library behind scheduler.py and the app)."""
