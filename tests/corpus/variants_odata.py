"""Hostile variants of the recorded CBS OData v3 answers (KWB 2023), served on a loopback server."""
from __future__ import annotations

import json
import shutil

from tests.servers.cbs_odata import DATA, CbsODataServer

from ._kit import V, Err, Flag, Val

T = "v3/85618NED/"
FAST = {"backoff": 0.01, "retries": 1, "timeout": 5}


def od(name, edits, expect, **opts):
    """``edits``: [(file, fn(doc) or fn(text) -> text)]; JSON functions edit the document in place."""
    def make(root):
        for fname, fn in edits:
            p = root / T / fname
            text = p.read_text(encoding="utf-8")
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            out = fn(doc) if getattr(fn, "json", True) and doc is not None else fn(text)
            p.write_text(out if isinstance(out, str) else json.dumps(doc), encoding="utf-8")
        return "cbs:85618NED"
    return V(name, "cbs-odata", make, expect, {**FAST, **opts})


def raw(fn):
    fn.json = False
    return fn


def row(i, key, value, page="TypedDataSet.json"):
    return (page, lambda d: d["value"][i].__setitem__(key, value))


def run_odata(v: V, root):
    """Serve a private copy of the answers with ``v``'s edits and read it."""
    from ._kit import run
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(DATA, root)
    srv = CbsODataServer(root).start()
    try:
        make = v.make
        v2 = V(v.name, v.kind, lambda tmp: make(root), v.expect, {**v.opts, "base_url": srv.base})
        return run(v2, root)
    finally:
        srv.stop()


SELF = "{base}/ODataFeed/odata/85618NED/TypedDataSet?$format=json&$skip=3"
P3 = "TypedDataSet.skip3.json"
VARIANTS = [
    od("odata: as recorded", [], Val("GM0344", "residents", 2023, 367947)),
    od("odata: nextLink to itself", [(P3, lambda d: d.__setitem__("odata.nextLink", SELF))],
       Err(None, None, "points back to a page already read")),
    od("odata: nextLink back to the first page",
       [(P3, lambda d: d.__setitem__("odata.nextLink", "{base}/ODataFeed/odata/85618NED/TypedDataSet?$format=json"))],
       Err(None, None, "points back to a page already read")),
    od("odata: empty page with a nextLink", [(P3, lambda d: d.__setitem__("value", []))],
       Err(None, None, "empty page with a nextLink")),
    od("odata: page cap", [], Err(None, None, "more than 2 pages"), max_pages=2),
    od("odata: nextLink a number", [(P3, lambda d: d.__setitem__("odata.nextLink", 7))], Err(None, None, "not a URL")),
    od("odata: answer size limit", [], Err(None, None, "exceeds"), max_answer_bytes=1000),
    od("odata: thousands as text 2.220", [row(1, "AantalInwoners_5", "367.947")], Err(2, "AantalInwoners_5", "ambiguous")),
    od("odata: thousands as text with decimal=','", [row(1, "AantalInwoners_5", "367.947")],
       Val("GM0344", "residents", 2023, 367947), decimal=","),
    od("odata: marker as JSON float", [row(1, "AantalInwoners_5", -99995.0)], Flag("GM0344", "residents", 2023, "cbs_marker:-99995")),
    od("odata: marker as text", [row(1, "AantalInwoners_5", "-99997")], Flag("GM0344", "residents", 2023, "cbs_marker:-99997")),
    od("odata: null is StatLine's dot", [row(1, "AantalInwoners_5", None)], Flag("GM0344", "residents", 2023, "cbs_marker:.")),
    od("odata: Infinity", [("TypedDataSet.json", raw(lambda t: t.replace("367947", "Infinity", 1)))],
       Err(2, "AantalInwoners_5", "expected a number")),
    od("odata: 1e400", [("TypedDataSet.json", raw(lambda t: t.replace("367947", "1e400", 1)))],
       Err(2, "AantalInwoners_5", "expected a number")),
    od("odata: fractional count", [row(1, "AantalInwoners_5", 367947.5)], Err(2, "AantalInwoners_5", "whole number")),
    od("odata: negative count", [row(1, "AantalInwoners_5", -5)], Err(2, "AantalInwoners_5", "negative count")),
    od("odata: not JSON", [("TypedDataSet.json", raw(lambda t: "<html>Service unavailable</html>"))],
       Err(None, None, "not JSON")),
    od("odata: JSON but a list", [("TypedDataSet.json", raw(lambda t: "[1, 2, 3]"))], Err(None, None, "not an OData object")),
    od("odata: value not a list", [("TypedDataSet.json", lambda d: d.__setitem__("value", {"a": 1}))],
       Err(None, None, "no 'value' list")),
    od("odata: rows not objects", [("TypedDataSet.json", lambda d: d.__setitem__("value", [1, 2]))],
       Err(None, None, "")),
    od("odata: properties without Key", [("DataProperties.json", lambda d: [p.pop("Key", None) for p in d["value"]])],
       Err(None, None, "shape of a CBS OData v3 table")),
    od("odata: region column missing", [("TypedDataSet.json", lambda d: [r.pop("WijkenEnBuurten") for r in d["value"]]),
                                        (P3, lambda d: [r.pop("WijkenEnBuurten") for r in d["value"]]),
                                        ("TypedDataSet.skip6.json", lambda d: [r.pop("WijkenEnBuurten") for r in d["value"]])],
       Err(1, "WijkenEnBuurten", "no region column")),
    od("odata: duplicate region", [row(2, "WijkenEnBuurten", "GM0344    "), row(2, "SoortRegio_2", "Gemeente  ")],
       Err(3, "WijkenEnBuurten", "duplicate")),
    od("odata: region code of no CBS form", [row(1, "WijkenEnBuurten", "Utrecht")], Err(2, "WijkenEnBuurten", "not a CBS area code")),
    od("odata: percentage over 100", [row(1, "InBezitWoningcorporatie_43", 131)], Flag("GM0344", "corp_share", 2023, "pct_over_100")),
    od("odata: bijstand more than residents", [row(1, "PersonenPerSoortUitkeringBijstand_83", 999999)],
       Err(2, None, "more than its whole")),
    od("odata: unit changed is skipped", [("DataProperties.json", lambda d: [p.__setitem__("Unit", "aantal") for p in d["value"]
                                                                             if p.get("Key") == "InBezitWoningcorporatie_43"])],
       Val("GM0344", "owner_occupied", 2023, 44)),
]
