"""How a configuration problem is told: `ConfigIssue` (file, path in the document, line, what is
wrong and what is allowed), `ConfigError` (every issue, one per line), and the document paths
issues name (`plans[2].rules[0].basis`, both ways)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: where (file, path in the document, line) and what is wrong / allowed."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path or '(document)'}: {self.message}"


class ConfigError(ValueError):
    """The document is not valid. `issues` holds every problem; str() lists one per line."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def format_path(path: Iterable[str | int]) -> str:
    """('plans', 2, 'rules', 0, 'basis') -> 'plans[2].rules[0].basis'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parse_path(text: str) -> Path_:
    """'plans[2].rules[0].basis' -> ('plans', 2, 'rules', 0, 'basis')."""
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2)
                 for m in _PATH_TOKEN.finditer(text or ""))
