"""``veerkracht build``: from the public sources to a harmonised store, in resumable steps.

Steps, each one transaction that also records it in the store's ``build_steps`` journal:

1. ``geometry:<year>:<level>`` — the CBS wijk- en buurtkaart of every year (PDOK), as ``cbs<year>``;
2. ``kwb:<year>`` — the KWB edition of every year (CBS OData, or the published file);
3. ``crosswalk:<year>`` — every version onto the target version, per level: an overlay that settles
   unchanged areas (same code, same shape) with weight 1 without intersecting, and overlays only
   what changed (gemeenten: a code in both versions is the same gemeente); address-weighted when
   address points are given;
4. ``harmonise:<year>`` — every fact of that year onto the target version (support recorded);
5. with ``crime``: ``crime`` (before the crosswalks, so its counts are harmonised with the KWB facts);
   with ``leefbaarometer`` years: ``pc4:<y>``, ``leefbaarometer:<y>``, ``crosswalk-pc4:<y>``,
   ``harmonise-lbm:<y>`` (see :mod:`.extra`);
6. the coverage summary (always recomputed; it only reads).

A killed build, run again with the same plan, skips the steps in the journal; the step that was
running was rolled back with its transaction, so no fact is written twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Callable

import pandas as pd

from ..errors import VeerkrachtError
from ..geo.crosswalk import overlay_crosswalk
from ..sources.download import DownloadCache
from ..sources.cbs_kwb import ingest_kwb
from ..sources.fetch import fetch_geometry, fetch_kwb
from ..sources.public import Services
from . import extra
from .coverage import coverage_summary

__all__ = ["BuildPlan", "run_build", "Timings"]


@dataclass
class BuildPlan:
    """What to build: years, region (gemeente codes) or the country, target year and how to fetch."""

    years: list[int]
    region: list[str] | None = None
    target: int | None = None
    levels: tuple[str, ...] = ("buurt", "wijk", "gemeente")
    kwb_via: str = "odata"
    geo_via: str = "ogcapi"
    api: str | None = None
    min_coverage: float = 0.5
    addresses: str | None = None          # a file of address points: crosswalks weighted by addresses
    extra: dict = field(default_factory=dict)
    leefbaarometer: list[int] = field(default_factory=list)     # Leefbaarometer meting years (PC4 scores)
    crime: bool = False                   # registered crime (Politie via CBS) of the plan's years

    def __post_init__(self):
        self.years = sorted({int(y) for y in self.years})
        if not self.years:
            raise VeerkrachtError("no years to build; give --from and --to")
        self.target = int(self.target or self.years[-1])
        if self.target not in self.years:
            raise VeerkrachtError(f"target year {self.target} is not among the years built ({self.years[0]}–"
                                  f"{self.years[-1]})")
        self.region = sorted(self.region) if self.region else None
        self.leefbaarometer = sorted({int(y) for y in self.leefbaarometer})

    @property
    def target_version(self) -> str:
        return f"cbs{self.target}"

    @property
    def build_id(self) -> str:
        """A stable id of the plan: the same plan again resumes, another plan starts its own journal."""
        plan = asdict(self)
        for opt in ("leefbaarometer", "crime"):      # not chosen: the id of a plan made before these existed
            if not plan[opt]:
                del plan[opt]
        key = json.dumps(plan, sort_keys=True, default=str)
        return "build-" + hashlib.sha256(key.encode()).hexdigest()[:16]


class Timings(defaultdict):
    """Seconds per phase (download, parse, ingest, crosswalk, harmonise, coverage) and fact counts."""

    def __init__(self):
        super().__init__(float)

    def fetch(self, cache: DownloadCache, fn, label: str = ""):
        """Run a fetch; network time goes to ``download``, the rest to ``parse`` (and ``parse_<label>``)."""
        s0, t0 = cache.stats["seconds"], time.perf_counter()
        out = fn()
        net = cache.stats["seconds"] - s0
        self["download"] += net
        self.add("parse", None, time.perf_counter() - t0 - net, label)
        return out

    def add(self, phase: str, fn, seconds: float | None = None, label: str = ""):
        """Run ``fn`` and book its time on ``phase`` (and ``<phase>_<label>``); or book ``seconds``."""
        t0 = time.perf_counter()
        out = fn() if fn is not None else None
        dt = seconds if seconds is not None else time.perf_counter() - t0
        self[phase] += dt
        if label:
            self[f"{phase}_{label}"] += dt
        return out


def _test_pause(step: str) -> None:
    """``VEERKRACHT_TEST_PAUSE_IN_STEP=<step>:<file>``: inside that step's transaction (its data written,
    not committed), write the file and sleep, so a test can SIGKILL the build at a known point."""
    spec = os.environ.get("VEERKRACHT_TEST_PAUSE_IN_STEP", "")
    name, _, marker = spec.rpartition(":")
    if name == step and marker:
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(120)


def _crosswalks(store, plan: BuildPlan, year: int) -> tuple[pd.DataFrame, dict]:
    """Crosswalks of every level from ``cbs<year>`` onto the target version, plus the country."""
    src_v, dst_v = f"cbs{year}", plan.target_version
    parts, report = [], {}
    points = None
    if plan.addresses:
        from ..sources.geometry import load_geodataframe
        points = load_geodataframe(plan.addresses)[0]
    for level in plan.levels:
        src, dst = store.areas(geo_version=src_v, level=level), store.areas(geo_version=dst_v, level=level)
        src, dst = src[src.geometry.notna()], dst[dst.geometry.notna()]
        if src.empty or dst.empty:
            continue
        gemeente = level == "gemeente"
        cw = overlay_crosswalk(src, dst, src_v, dst_v, basis="addresses" if points is not None else "area",
                               points=points, min_share=0.10 if gemeente else 0.001,
                               same_code_same_area=gemeente, min_coverage=plan.min_coverage)
        parts.append(cw)
        report[level] = {**cw.attrs["report"], "unmatched_codes": cw.attrs["unmatched"][:10],
                         "low_coverage_codes": cw.attrs["low_coverage"][:10]}
    basis = parts[0]["basis"].iloc[0] if parts and len(parts[0]) else "area"
    parts.append(pd.DataFrame({"from_version": [src_v], "from_code": ["NL01"], "to_version": [dst_v],
                               "to_code": ["NL01"], "weight": [1.0], "amount": [float("nan")], "basis": [basis]}))
    return pd.concat(parts, ignore_index=True), report


def run_build(store, plan: BuildPlan, cache: DownloadCache, services: Services = Services(),
              progress: Callable | None = None, say: Callable[[str], None] = lambda s: None) -> dict:
    """Run (or resume) ``plan`` on ``store``; returns what ran, what was skipped, timings and coverage.

    ``progress(description)`` is called with a ``callable(done, total)`` for a progress bar of one
    fetch (or None); ``say`` gets one line per step.
    """
    bid = plan.build_id
    done = store.done_steps(bid)
    t = Timings()
    ran, skipped, facts_in = [], [], 0
    reports: dict = {}

    def step(name: str, work: Callable[[], dict]) -> None:
        if name in done:
            skipped.append(name)
            reports[name] = done[name]
            return
        info = work()
        reports[name] = info
        ran.append(name)
        say(f"{name}: {json.dumps(info, default=str)[:160]}")

    def bar(desc):
        return progress(desc) if progress else None

    def journalled(name: str, work: Callable[[], dict]) -> dict:
        """``work()`` and the journal entry of step ``name`` in one transaction."""
        with store.transaction():
            info = work()
            _test_pause(name)
            store.mark_step(bid, name, info)
        return info

    def crosswalk(name: str, make: Callable[[], tuple[pd.DataFrame, dict]]) -> dict:
        """Compute a crosswalk (outside the transaction), then write it with its journal entry."""
        cw, report = t.add("crosswalk", make)
        return journalled(name, lambda: (store.write_crosswalk(cw), report)[1])

    def ingest(name: str, batch) -> dict:
        nonlocal facts_in
        res = journalled(name, lambda: t.add("ingest", lambda: store.ingest(batch), label=name.split(":")[0]))
        facts_in += res["facts"] if not res["skipped"] else 0
        t["facts_" + name.split(":")[0]] += res["facts"] if not res["skipped"] else 0
        return res

    for year in plan.years:
        for level in plan.levels:
            name = f"geometry:{year}:{level}"
            step(name, lambda y=year, lv=level, n=name: ingest(n, t.fetch(cache, lambda: fetch_geometry(
                y, lv, cache, services, region=plan.region, via=plan.geo_via,
                progress=bar(f"kaart {y} {lv}")), "geometry")))
    def kwb(year: int, name: str) -> dict:
        nonlocal facts_in
        if plan.kwb_via == "download" and plan.region is None:     # the national file: streamed into the store
            url = services.kwb_file(year)
            path = t.fetch(cache, lambda: cache.download(url, progress=bar(f"KWB {year}")), "kwb")

            def journal(res):
                _test_pause(name)
                store.mark_step(bid, name, res)
            t0 = time.perf_counter()
            res, _ = ingest_kwb(store, path, year=year, where=url, then=journal, fallback=False)
            if res is not None:
                t.add("ingest", None, time.perf_counter() - t0, label="kwb")      # parse and write, piece by piece
                facts_in += res["facts"] if not res["skipped"] else 0
                t["facts_kwb"] += res["facts"] if not res["skipped"] else 0
                if res["skipped"]:
                    store.mark_step(bid, name, res)
                return res
        return ingest(name, t.fetch(cache, lambda: fetch_kwb(
            year, cache, services, region=plan.region, via=plan.kwb_via, api=plan.api, progress=bar(f"KWB {year}")),
            "kwb"))

    for year in plan.years:
        step(f"kwb:{year}", lambda y=year: kwb(y, f"kwb:{y}"))
    if plan.crime:
        step("crime", lambda: ingest("crime", t.fetch(cache, lambda: extra.crime_batch(
            plan, cache, services, progress=bar("misdrijven")), "crime")))
    for year in plan.years:
        if year == plan.target:
            continue

        step(f"crosswalk:{year}", lambda y=year: crosswalk(f"crosswalk:{y}", lambda: _crosswalks(store, plan, y)))
    for year in plan.years:
        if year == plan.target:
            continue

        step(f"harmonise:{year}", lambda y=year: journalled(f"harmonise:{y}", lambda: t.add(
            "harmonise", lambda: extra.harmonise_info(store, plan, f"cbs{y}"))))
    for year in plan.leefbaarometer:
        step(f"pc4:{year}", lambda y=year: ingest(f"pc4:{y}", t.fetch(cache, lambda: extra.pc4_batch(
            store, plan, y, cache, services, progress=bar(f"PC4 {y}")), "pc4")))
        step(f"leefbaarometer:{year}", lambda y=year: ingest(f"leefbaarometer:{y}", t.fetch(
            cache, lambda: extra.lbm_batch(store, plan, y, cache, services, progress=bar(f"Leefbaarometer {y}")),
            "lbm")))

        step(f"crosswalk-pc4:{year}", lambda y=year: crosswalk(f"crosswalk-pc4:{y}",
                                                                 lambda: extra.pc4_crosswalk(store, plan, y)))
        step(f"harmonise-lbm:{year}", lambda y=year: journalled(f"harmonise-lbm:{y}", lambda: t.add(
            "harmonise", lambda: extra.harmonise_info(store, plan, extra.lbm_version(y)), label="lbm")))
    cov = t.add("coverage", lambda: coverage_summary(store, plan.target_version, list(plan.levels)))
    return {"build": bid, "ran": ran, "skipped": skipped, "timings": dict(t), "facts_ingested": facts_in,
            "coverage": cov, "reports": reports}
