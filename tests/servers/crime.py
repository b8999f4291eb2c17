"""Answers of a monthly Politie/CBS crime table (OData v3, as on dataderden.cbs.nl), for the loopback server."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["write_monthly_table"]

PROPS = [{"Type": "Dimension", "Key": "SoortMisdrijf"}, {"Type": "GeoDimension", "Key": "WijkenEnBuurten"},
         {"Type": "TimeDimension", "Key": "Perioden"},
         {"Type": "Topic", "Key": "GeregistreerdeMisdrijven_1", "Unit": "aantal"}]


def write_monthly_table(root: Path, monthly: dict[tuple[str, int], list[int]], table: str = "47022NED") -> Path:
    """``<root>/odata/v3/<table>``: per (code, year) the counts of months 1, 2, …, as the total kind
    ``0.0.0`` plus a sub-kind ``1.1.1`` (a third of it) that a reader must not add; two pages."""
    d = Path(root) / "odata" / "v3" / table
    d.mkdir(parents=True)
    (d / "DataProperties.json").write_text(json.dumps({"value": PROPS}))
    rows = []
    for (code, year), counts in monthly.items():
        for m, n in enumerate(counts, start=1):
            for kind, count in (("0.0.0 ", int(n)), ("1.1.1 ", max(int(n) // 3, 0))):
                rows.append({"ID": len(rows), "SoortMisdrijf": kind, "WijkenEnBuurten": code.ljust(10),
                             "Perioden": f"{year}MM{m:02d}", "GeregistreerdeMisdrijven_1": count})
    half = len(rows) // 2
    base = f"{{base}}/ODataFeed/odata/{table}/TypedDataSet"
    (d / "TypedDataSet.json").write_text(json.dumps({"value": rows[:half],
                                                     "odata.nextLink": f"{base}?$format=json&$skip={half}"}))
    (d / f"TypedDataSet.skip{half}.json").write_text(json.dumps({"value": rows[half:]}))
    return d
