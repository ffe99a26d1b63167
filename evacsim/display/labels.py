"""Plain-language labels shown to people."""

from __future__ import annotations

__all__ = ["TASK_LABELS"]


#: Plain-language names of the task kinds.
TASK_LABELS = {
    "traffic_control": "traffic control",
    "staff_assembly": "staff assembly point",
    "cordon": "cordon",
    "staff_shelter": "staff shelter",
    "door_to_door": "door-to-door help",
}
