"""One search index for both languages, written after both are built.

mkdocs-static-i18n merges the English and Chinese search entries into the site's one
index, but with Material 9.8 the English entries are lost: an English search finds
only the Chinese copies of pages. So the entries Material's search plugin collects are
remembered per language while each language builds, and the index is written once
more at the end: every English entry, and the Chinese entries that are not the English
page again (a page without a Chinese version is the English page under `zh/`).

Formulas are indexed by their TeX without the `\\(`/`\\)` delimiters, so a result's
preview reads `y = x W^T + b`, not markup.
"""

from __future__ import annotations

import json
import pathlib
import re

from docsite._files import write_text_atomic

_ROOT: dict[str, pathlib.Path] = {}
_ENTRIES: dict[str, list[dict]] = {}
_CONFIG: dict[str, dict] = {}
_DELIMITERS = re.compile(r"\\\(|\\\)|\\\[|\\\]")


def remember_root(config) -> None:
    """Keeps the site folder of the first (default language) build: the index's home."""
    _ROOT.setdefault("site", pathlib.Path(config["site_dir"]))


def _plugin(config):
    return config.plugins.get("material/search") or config.plugins.get("search")


def remember_entries(config) -> None:
    """Records the search entries of the language being built, so far."""
    plugin = _plugin(config)
    if plugin is None or not hasattr(plugin, "search_index"):
        return
    language = config["theme"]["language"]
    _ENTRIES[language] = list(plugin.search_index.entries)
    _CONFIG[language] = {key: plugin.config[key] for key in ("lang", "separator", "pipeline")}
    _CONFIG[language]["fields"] = dict(plugin.config["fields"])


def merged(entries: dict[str, list[dict]], default: str = "en") -> list[dict]:
    """The default language's entries, then each other language's own pages.

    Examples:
        >>> en = [{"location": "a/", "title": "A", "text": "x \\\\(y\\\\)"}]
        >>> zh = [{"location": "zh/a/", "title": "A", "text": "x \\\\(y\\\\)"},
        ...       {"location": "zh/", "title": "首页", "text": "激活函数"}]
        >>> [e["location"] for e in merged({"en": en, "zh": zh})]
        ['a/', 'zh/']
        >>> merged({"en": en})[0]["text"]
        'x y'
    """
    seen = {(e["location"], e["title"], e["text"]) for e in entries.get(default, [])}
    result = list(entries.get(default, []))
    for language, items in entries.items():
        if language == default:
            continue
        prefix = f"{language}/"
        for entry in items:
            location = entry["location"].removeprefix(prefix)
            if (location, entry["title"], entry["text"]) not in seen:
                result.append(entry)
    return [{**e, "text": _DELIMITERS.sub("", e["text"])} for e in result]


def write_index() -> None:
    """Writes the merged index over the site's `search/search_index.json`, atomically."""
    if "site" not in _ROOT or not _ENTRIES:
        return
    config = _CONFIG.get("en") or next(iter(_CONFIG.values()))
    config = {**config, "lang": sorted({lang for c in _CONFIG.values() for lang in c["lang"]})}
    payload = json.dumps({"config": config, "docs": merged(_ENTRIES)}, ensure_ascii=False)
    write_text_atomic(_ROOT["site"] / "search" / "search_index.json", payload)
