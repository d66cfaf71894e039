"""The built site in a real browser: `python -m docsite.check SITE_DIR`."""

from docsite.check.browser import main, screenshot_name

__all__ = ["main", "screenshot_name"]
