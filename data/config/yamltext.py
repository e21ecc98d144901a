"""YAML read as text, with the line of every path: every scalar stays a string (no floats, no
ints that lose leading zeros, no dates, no yes/no booleans); only null and merge keys keep their
YAML meaning. A key written twice in one mapping is an issue, not a silent overwrite."""
from __future__ import annotations

from typing import Any

import yaml

from data.config.errors import ConfigError, ConfigIssue, Path_, format_path
from data.config.fields import SECTIONS


class _TextLoader(yaml.SafeLoader):
    """SafeLoader whose implicit scalars are all strings (except null and `<<`)."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int], list[ConfigIssue]]:
    """Parse YAML to plain data + a map path -> line, and issues (duplicate keys)."""
    loader = _TextLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigIssue(source, "", f"not valid YAML: {problem}; allowed: a YAML "
                                       "mapping with the keys " + ", ".join(SECTIONS), line)]) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    issues: list[ConfigIssue] = []

    def walk(n: yaml.Node, path: Path_) -> None:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode) or k.value == "<<":
                    continue
                if k.value in seen:
                    issues.append(ConfigIssue(
                        source, format_path(path + (k.value,)),
                        f"key {k.value!r} appears twice in one mapping; allowed: each key once",
                        k.start_mark.line + 1))
                seen.add(k.value)
                lines.setdefault(path + (k.value,), k.start_mark.line + 1)
                walk(v, path + (k.value,))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return data, lines, issues
