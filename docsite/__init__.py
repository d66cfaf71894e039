"""Builds and checks the documentation site (see hooks.py); not part of the installed package."""
