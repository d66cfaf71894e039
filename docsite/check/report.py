"""What the check found: one result per page and per search term, summed up for CI.

The report is printed as a summary after the page lines and written as JSON with
`--report`.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from docsite._files import write_text_atomic
from docsite.check.site import LANGUAGES


class Problem(NamedTuple):
    """One thing wrong with a page: what kind, and which URL, text or message."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class PageResult:
    """What the browser found on one page.

    Examples:
        >>> page = PageResult("/zh/lesson/", "zh", formulas=3, painted=3)
        >>> page.ok, page.line()
        (True, 'OK    zh /zh/lesson/  3 formulas, 0 images, 0 outputs  0.0 s')
    """

    path: str
    language: str
    problems: list[Problem] = field(default_factory=list)
    formulas: int = 0
    painted: int = 0
    images: int = 0
    outputs: int = 0
    screenshot: str | None = None
    seconds: float = 0.0
    links: list[str] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.ok:
            counts = f"{self.formulas} formulas, {self.images} images, {self.outputs} outputs"
            return f"OK    {self.language} {self.path}  {counts}  {self.seconds:.1f} s"
        return f"FAIL  {self.language} {self.path}  " + "; ".join(map(str, self.problems))


class SearchResult(NamedTuple):
    """How many results Material's search listed for a term on a page of `language`."""

    language: str
    term: str
    results: int


@dataclass
class Report:
    """Everything one run found; `summary()` is what CI reads."""

    pages: list[PageResult] = field(default_factory=list)
    searches: list[SearchResult] = field(default_factory=list)
    search_problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        searches_ok = all(search.results for search in self.searches)
        return all(page.ok for page in self.pages) and searches_ok and not self.search_problems

    def summary(self) -> dict[str, Any]:
        """Counts over all pages.

        Examples:
            >>> report = Report([PageResult("/", "en", formulas=2, painted=2, images=1)])
            >>> report.summary()["pages"], report.summary()["formulas_painted"]
            ({'en': 1, 'zh': 0}, 2)
        """
        return {
            "ok": self.ok,
            "pages": {lang: sum(p.language == lang for p in self.pages) for lang in LANGUAGES},
            "pages_with_problems": sum(not page.ok for page in self.pages),
            "formulas": sum(page.formulas for page in self.pages),
            "formulas_painted": sum(page.painted for page in self.pages),
            "images": sum(page.images for page in self.pages),
            "outputs": sum(page.outputs for page in self.pages),
            "search_terms": len(self.searches),
            "search_terms_found": sum(bool(search.results) for search in self.searches),
            "seconds": round(self.seconds, 1),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "pages": [_page_dict(page) for page in self.pages],
            "searches": [search._asdict() for search in self.searches],
            "search_problems": [problem._asdict() for problem in self.search_problems],
        }


def _page_dict(page: PageResult) -> dict[str, Any]:
    fields = asdict(page)
    del fields["links"]
    return fields | {"problems": [problem._asdict() for problem in page.problems], "ok": page.ok}


def summary_lines(report: Report) -> list[str]:
    """The summary printed after the page lines.

    Examples:
        >>> report = Report([PageResult("/", "en", formulas=2, painted=2)], seconds=3.14)
        >>> report.searches = [SearchResult("en", "softmax", 4), SearchResult("zh", "梯度", 0)]
        >>> print("\\n".join(summary_lines(report)))
        search en: softmax 4 results
        FAIL  search zh: 梯度 found nothing
        pages checked: en 1, zh 0 (0 with problems)
        formulas painted: 2 of 2; images: 0; code outputs: 0
        search terms found: 1 of 2
        runtime: 3.1 s
        FAILED
    """
    lines = [
        f"search {s.language}: {s.term} {s.results} results"
        if s.results
        else f"FAIL  search {s.language}: {s.term} found nothing"
        for s in report.searches
    ]
    lines += [f"FAIL  search: {problem}" for problem in report.search_problems]
    counts = report.summary()
    lines += [
        f"pages checked: en {counts['pages']['en']}, zh {counts['pages']['zh']} "
        f"({counts['pages_with_problems']} with problems)",
        f"formulas painted: {counts['formulas_painted']} of {counts['formulas']}; "
        f"images: {counts['images']}; code outputs: {counts['outputs']}",
        f"search terms found: {counts['search_terms_found']} of {counts['search_terms']}",
        f"runtime: {counts['seconds']} s",
        "OK" if report.ok else "FAILED",
    ]
    return lines


def write_report(report: Report, path: pathlib.Path) -> None:
    """Writes the report as JSON, atomically: a reader never sees half a file.

    Examples:
        >>> import tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> write_report(Report([PageResult("/", "en")]), folder / "check.json")
        >>> json.loads((folder / "check.json").read_text())["summary"]["ok"]
        True
    """
    write_text_atomic(path, json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
