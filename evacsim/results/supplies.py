"""The supplies' headline figures: per shelter and per supply point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from evacsim.scenario.supplies import ITEMS

if TYPE_CHECKING:
    from evacsim.sim.results import Results

__all__ = ["supplies_summary"]


def _items(values: Any) -> dict[str, float]:
    return {item: round(float(v), 2) for item, v in zip(ITEMS, values, strict=True)}


def supplies_summary(results: Results) -> dict[str, Any]:
    """The ``supplies`` entry of ``summary.json``.

    ``shelters``: per shelter that needed anything, its first delivery time (s, ``null`` if
    none), amounts delivered, unmet demand at the end and its peak; ``supply_points``: per point,
    what is left, delivered and still on a truck; ``runs``: delivery runs made.
    """
    runs: pd.DataFrame | None = results.extra.get("supplies")
    stock: pd.DataFrame | None = results.extra.get("supply_stock")
    unmet: pd.DataFrame | None = results.extra.get("supply_unmet")
    if runs is None or stock is None or unmet is None:
        return {}
    shelters: dict[str, Any] = {}
    for sid, rows in unmet.groupby("shelter", sort=True):
        if rows["need"].max() <= 0 and rows["delivered"].max() <= 0:
            continue
        # A run that ends on a sampling instant (the horizon) samples it twice: keep one.
        last = rows[rows["t_s"] == rows["t_s"].max()].drop_duplicates("item", keep="last")
        last = last.set_index("item").reindex(list(ITEMS))
        peak = rows.groupby("item")["unmet"].max().reindex(list(ITEMS)).fillna(0.0)
        done = runs[(runs["shelter"] == sid) & (runs["status"] == "delivered")]
        first = float(done["t_arrive_s"].min()) if len(done) else None
        shelters[str(sid)] = {
            "first_delivery_s": None if first is None else round(first, 1),
            "delivered": {item: int(v) for item, v in last["delivered"].items()},
            "unmet_end": _items(last["unmet"]),
            "unmet_peak": _items(peak),
        }
    points: dict[str, Any] = {}
    for pid, rows in stock.groupby("supply_point", sort=True):
        r = rows.set_index("item").reindex(list(ITEMS))
        points[str(pid)] = {
            key: {item: int(v) for item, v in r[key].items()}
            for key in ("left", "delivered", "in_transit")
        }
    return {"shelters": shelters, "supply_points": points, "runs": len(runs)}
