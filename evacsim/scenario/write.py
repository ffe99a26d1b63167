"""Scenario files written back: a small TOML writer (the standard library reads TOML but does not
write it), for ``evacsim incident --save-scenario`` and ``evacsim optimize``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evacsim.errors import ScenarioError

__all__ = ["scenario_toml"]


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScenarioError(f"{where}: cannot write {value!r} to TOML")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON strings are TOML basic strings
    if isinstance(value, datetime):
        return value.isoformat()  # an RFC 3339 date-time is a TOML offset date-time
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(k)} = {_value(v, where)}" for k, v in value.items())
        return "{ " + items + " }"
    raise ScenarioError(f"{where}: cannot write a {type(value).__name__} to TOML")


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def scenario_toml(data: Mapping[str, Any], *, header: str, where: str = "<scenario>") -> str:
    """A scenario dict as TOML text: ``header`` (comment lines), top-level values, then one
    ``[table]`` per section.

    Nested tables inside a section (``radii_m``) are written inline. ``None`` values are left
    out (TOML has no null).

    Raises
    ------
    ScenarioError
        A value TOML cannot hold (NaN, an object), naming ``where``.
    """
    lines = [f"# {line}" for line in header.splitlines()]
    tables = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value, where)}")
    for name, table in tables:
        lines += ["", f"[{_key(name)}]"]
        lines += [f"{_key(k)} = {_value(v, where)}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"
