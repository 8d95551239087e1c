"""What goes wrong with a catalog file, said so an organizer can fix it.

    Exception
     └── CatalogError   a file cannot become a catalog; `.problems` holds every error in it

A `Problem` is a value, not an exception: checking a file yields errors and warnings
together (warnings never stop an import), and `CatalogError` carries only the errors,
all of them, so one import attempt shows everything there is to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of a catalog file.

    `row` is the line in the file (for CSV, the line where the record starts; the header
    is line 1) and `field` is named the way the file names it (`title.es` in YAML,
    `title_es` in CSV), so the organizer can go straight to it. Either is None when the
    problem concerns the whole file.
    """

    file: str
    row: int | None
    field: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        parts = [self.file if self.row is None else f"{self.file}:{self.row}"]
        if self.severity == "warning":
            parts.append("warning")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class CatalogError(Exception):
    """A catalog file has errors; nothing of it was loaded."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"{count} error{'s' if count != 1 else ''} in the catalog"]
        lines.extend(str(problem) for problem in self.problems)
        super().__init__("\n".join(lines))
