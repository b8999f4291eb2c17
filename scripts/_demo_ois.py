"""Curated crosswalks from the Amsterdam OIS codes of 2005–2013 to the CBS 2019 buurten and wijken.

Part of ``build_demo_data.py``. The OIS transition table (``amsterdam_buurten_codes_overgang_2005_2010_2015.csv``)
gives a 2015 code for 419 of the 470 buurten; the other 51 are encoded by hand in :data:`CURATED`, each with
the note of the table that justifies it. The 2005/2009 tables use the 2005 codes (e.g. ``C12a``), the 2013
table uses the 2010 codes (``E12a``): both spellings are source codes of version ``ois2005`` (they never
collide: the 2005 and 2010 stadsdeel letters only share A, B, N, T, where the codes are equal).

Split weights are the 2017 dwelling counts (OIS, peildatum 1-1-2017) of the target buurten: an
approximation, because the old buurt's own dwellings are not known per part.
"""
from __future__ import annotations

import re
from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["CURATED", "PARTIAL_TARGETS", "buurt_crosswalk", "wijk_crosswalk", "decimal_weights"]

FROM, TO, TO15 = "ois2005", "cbs2019", "ois2015"
BASIS = "dwellings_2017"

# old 2005 code -> ({2015 target: its 2017 OIS name (asserted)}, quote of the transition table + remark).
CURATED: dict[str, tuple[dict[str, str], str]] = {
    "A01i": ({"A03f": "Reguliersbuurt"}, "'van buurtcombinatie A01 naar buurtcombinatie A03'"),
    "A02e": ({"A03g": "Leidsegracht Zuid"}, "'van buurtcomboinatie A02 naar buurtcombinatie A03'"),
    "A05e": ({"A05f": "Planciusbuurt Noord", "A05g": "Planciusbuurt Zuid"},
             "'buurt wordt geplitst in A05f en A05g'"),
    "A06b": ({"A06k": "Anjeliersbuurt Noord", "A06l": "Anjeliersbuurt Zuid"},
             "'buurt wordt geplitst in A06k en A06l'"),
    # the table's 'A08b' in the notes of A08d/A08e must be A08c: A08b Sarphatistrook keeps its code
    "A08c": ({"A08d": "de Plantage", "A08e": "Alexanderplein e.o."},
             "'grens wijzigt, oostelijk deel nieuwe buurt'; A08d 'westelijk deel buurt A08b', A08e 'oostelijk "
             "deel buurt A08b' (read: A08c, Plantage; A08b keeps its code)"),
    "A09g": ({"A09i": "Kadijken"}, "'grens met buurt A08b is gewijzigd'"),
    "B11a": ({"F11a": "Sloterdijk II"}, "'naar stadsdeel Nieuw West'"),
    "B11b": ({"B10h": "Westhaven Zuid"}, "'naar buurtcombinatie B10'"),
    "B11c": ({"F11c": "Sloterdijk III Oost"}, "'naar stadsdeel Nieuw West'"),
    "B11d": ({"F11d": "Sloterdijk III West"}, "'naar stadsdeel Nieuw West'"),
    "B11e": ({"F11e": "De Heining"}, "'naar stadsdeel Nieuw West'"),
    "B11f": ({"F11f": "Teleport"}, "'naar stadsdeel Nieuw West'"),
    "B11g": ({"E36b": "Bedrijventerrein Sloterdijk I"}, "'naar stadsdeel West, naam wijzigt'"),
    "G34b": ({"M34f": "RI Oost terrein", "M34g": "Zeeburgereiland Noordoost"},
             "'buurt wordt gesplitst in M34f en M34g'"),
    "G35d": ({"M35e": "Haveneiland Noordwest", "M35f": "Haveneiland Noordoost"},
             "'buurt wordt gesplitst in M35e en M35f'"),
    "H37b": ({"E37f": "Gibraltarbuurt", "E37g": "Landlust Noord"}, "'buurt wordt gesplitst in E37f en E37g'"),
    "H38b": ({"E38d": "Robert Scottbuurt Oost"}, "'naam was Poolbuurt Oost'"),
    "J40d": ({"E75a": "Kortenaerkwartier"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "J40e": ({"E75b": "Filips van Almondekwartier"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "J40f": ({"E75c": "De Wester Quartier"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "J40g": ({"E75d": "Van Brakelkwartier"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "N66a": ({"N66f": "Molenwijk", "N66g": "Circus/Kermisbuurt"}, "'buurt wordt gesplitst in N66f en N66g'"),
    "N68g": ({"N73j": "Noorderstrook Oost"}, "'naam was de Weeren'"),
    "N69b": ({"N69j": "Buikslotermeerplein", "N69k": "Plan van Gool"},
             "'buurt wordt gesplitst in N69j en N69k' (the notes' 'N69i' is N69b)"),
    "N69d": ({"N69l": "De Kleine Wereld", "N69m": "Buikslotermeer Noord"},
             "N69l 'buurt N69d min oostelijk deel', N69m 'buurt N69e plus oostelijk deel N69d'"),
    "N69e": ({"N69m": "Buikslotermeer Noord"}, "N69m 'buurt N69e plus oostelijk deel N69d'"),
    "N69f": ({"N74a": "Nintemanterrein"}, "'naam was Nintermanterrein'"),
    "N69g": ({"N74b": "Elzenhagen Zuid"}, "'naam was Elzenhagen'"),
    "N69h": ({"N74c": "Elzenhagen Noord"}, "'naam was Jeugdland'"),
    "N69i": ({"N73i": "Noorderstrook West"}, "'naam was Buikslotermeer Noord'"),
    "N71a": ({"N71g": "Buiksloterham", "N71h": "Overhoeks"},
             "N71g 'zuidelijk deel naar N71h', N71h 'N71b plus zuidelijk deell N71a'"),
    "N71b": ({"N71h": "Overhoeks"}, "N71h 'N71b plus zuidelijk deell N71a'"),
    "N71d": ({"N71e": "Cornelis Douwesterrein", "N71f": "NDSM-terrein"},
             "'buurt wordt gesplitst in N71e en N71f'"),
    "P75a": ({"F11h": "Bretten Oost"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "P75b": ({"F11j": "Bretten West"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "Q84d": ({"F88j": "Dorp Sloten"}, "'naar andere buurtcombinatie', matched by name"),
    "R85d": ({"F89a": "Louis Chrispijnbuurt"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "R85e": ({"F89b": "Jacques Veldmanbuurt"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "R85f": ({"F89c": "Staalmanbuurt"}, "'buurtcombinatiecode wijzigt, naam wijzigt'"),
    "R85g": ({"F89d": "Medisch Centrum Slotervaart"}, "'buurtcombinatiecode wijzigt', matched by name"),
    "U55a": ({"M55i": "Van der Kunbuurt"}, "'buurtcombinatiegrens wijzigt', matched by name"),
    "U58a": ({"M58h": "De Omval"}, "'buurtcombinatiegrens wijzigt', matched by name"),
    "U58c": ({"M58g": "Amstelkwartier Noord", "M58i": "Amstelkwartier Zuid", "M58j": "Amstelkwartier West"},
             "M58g 'noordoostelijk deel M58c', M58i 'zuidoostelijk deel M58c en M58d', M58j 'westelijke delen "
             "M58c en M58d plus strook M58e'"),
    "U58d": ({"M58i": "Amstelkwartier Zuid", "M58j": "Amstelkwartier West"},
             "M58i 'zuidoostelijk deel M58c en M58d', M58j 'westelijke delen M58c en M58d plus strook M58e'"),
    "V50a": ({"K47j": "Duivelseiland"}, "'naar andere buurtcombinatie', matched by name"),
    "W52e": ({"K23b": "RAI"}, "'buurtcombinatiegrens wijzigt', matched by name"),
    "W52f": ({"K52g": "Veluwebuurt", "K52h": "Kop Zuidas"}, "'buurt wordt gesplitst in K52g en K52h'"),
    # the table gives K23c..K23f; the 2017 OIS and CBS 2019 lists carry other codes for these names
    "W90f": ({"K90j": "Zuiderhof"}, "table says K23c; 2017 OIS and CBS 2019 have Zuiderhof as K90j / "
                                    "BU03639009: matched by name"),
    "W90g": ({"K23c": "VU-kwartier"}, "table says K23d; 2017 OIS has VU-kwartier as K23c: matched by name"),
    "W90h": ({"K23d": "Zuidas Zuid"}, "table says K23e; 2017 OIS has Zuidas Zuid as K23d: matched by name"),
    "W91e": ({"K23e": "Vivaldi"}, "table says K23f (absent in 2017); 2017 OIS has Vivaldi as K23e: "
                                  "matched by name"),
}
# A target that holds the whole of another old buurt: only the rest of it counts for the split.
PARTIAL_TARGETS = {"N69m": "N69e", "N71h": "N71b"}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def decimal_weights(shares: dict[str, Fraction], digits: int = 6) -> dict[str, str]:
    """Round exact shares to ``digits`` decimals that sum to exactly 1 (largest remainder)."""
    unit = 10 ** digits
    floors = {k: (v * unit).numerator // (v * unit).denominator for k, v in shares.items()}
    left = unit - sum(floors.values())
    order = sorted(shares, key=lambda k: (-(shares[k] * unit - floors[k]), k))
    for k in order[:left]:
        floors[k] += 1
    return {k: ("1" if n == unit else "0" if n == 0 else f"0.{n:0{digits}d}".rstrip("0")) for k, n in floors.items()}


def _transitions(overgang: pd.DataFrame) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(2005 → 2010 code, 2005 → 2015 code for the 1:1 rows, 2005 code → the table's note)."""
    rows = overgang[overgang.code_2005 != ""]
    to2010 = dict(zip(rows.code_2005, rows.code_2010))
    one = rows[rows.code_2015 != ""]
    dup = one.groupby("code_2005").code_2015.nunique()
    assert (dup == 1).all(), f"ambiguous 2015 code for {list(dup[dup > 1].index)}"
    notes = rows.groupby("code_2005").wijziging.first().to_dict()
    return to2010, dict(zip(one.code_2005, one.code_2015)), notes


def buurt_crosswalk(ois: pd.DataFrame, overgang: pd.DataFrame, cbs2019: set[str],
                    bbga: gpd.GeoDataFrame, buurten2019: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict]:
    """The curated crosswalk ``ois2005 → cbs2019`` plus the 1:1 ``ois2015 → cbs2019`` rows.

    Returns the frame and the exact (Fraction) shares per 2005 code, which the wijk crosswalk reuses.
    """
    d17 = ois[ois.jaar == "2017"].set_index("buurt_code_ois")
    dw17 = d17.woningen_totaal.astype(int).to_dict()
    name17 = d17.buurt_naam.to_dict()
    to_cbs = dict(zip(d17.index, d17.cbs_bu_code_afgeleid))
    old = ois[ois.jaar.isin(["2005", "2009"])]
    d13 = ois[ois.jaar == "2013"].set_index("buurt_code_ois").woningen_totaal.astype(int).to_dict()
    codes05 = sorted(set(old.buurt_code_ois))
    to2010, one2one, notes = _transitions(overgang)
    assert len(codes05) == 470 and set(codes05) <= set(to2010), "2005 codes outside the transition table"
    assert set(ois[ois.jaar == "2013"].buurt_code_ois) == {to2010[c] for c in codes05}
    fallback = _cbs_fallback(bbga, buurten2019, cbs2019, to_cbs, ois)

    shares: dict[str, dict[str, Fraction]] = {}
    row_notes: dict[str, str] = {}
    for c in codes05:
        if c in CURATED:
            assert c not in one2one, f"{c} has a 2015 code in the table and a curated entry"
            targets, quote = CURATED[c]
            for t, expect in targets.items():
                assert _norm(name17[t]) == _norm(expect), f"{c} → {t}: 2017 name {name17[t]!r} != {expect!r}"
            basis = {t: max(0, dw17[t] - (d13[to2010[PARTIAL_TARGETS[t]]] if t in PARTIAL_TARGETS
                                          and PARTIAL_TARGETS[t] != c else 0)) for t in targets}
            total = sum(basis.values())
            note = f"curated: {quote}"
            if len(targets) > 1 and total == 0:  # nothing built yet in any part: split by equal shares
                basis, total = {t: 1 for t in targets}, len(targets)
                note += "; no 2017 dwellings in the targets: equal split"
            elif len(targets) > 1:
                note += "; split by 2017 dwellings of the targets (approximation)"
                if any(t in PARTIAL_TARGETS and PARTIAL_TARGETS[t] != c for t in targets):
                    note += ", minus the 2013 dwellings of the old buurt a target holds in full"
            shares[c] = ({t: Fraction(1) for t in targets} if len(targets) == 1
                         else {t: Fraction(basis[t], total) for t in targets})
        else:
            t = one2one[c]
            shares[c] = {t: Fraction(1)}
            note = "1:1 (transition table)"
            if notes.get(c):
                note += f"; note: '{notes[c]}'"
            old_name = old[old.buurt_code_ois == c].buurt_naam.iloc[0]
            if _norm(old_name) != _norm(name17[t]):
                note += f"; name 2005 '{old_name}', 2017 '{name17[t]}'"
        row_notes[c] = note

    rows = []
    for c in codes05:
        targets = {}
        for t, s in shares[c].items():  # several 2015 targets could fall in one CBS buurt
            cbs, extra = fallback.get(t, (to_cbs[t], ""))
            if t in fallback:
                mine = ois[ois.buurt_code_ois.isin([c, to2010[c]]) & (ois.jaar != "2017")]
                assert (mine.woningen_totaal.astype(int) == 0).all(), f"{c} has dwellings; {t} has no CBS buurt"
            targets[cbs] = (targets.get(cbs, (0, ""))[0] + s, extra)
        weights = decimal_weights({k: v[0] for k, v in targets.items()})
        for code in sorted({c, to2010[c]}):
            for cbs in sorted(t for t in targets if weights[t] != "0"):  # a part without dwellings adds nothing
                rows.append((FROM, code, TO, cbs, weights[cbs], BASIS, "; ".join(
                    x for x in (row_notes[c], targets[cbs][1]) if x)))
    for t in sorted(d17.index):
        cbs, extra = fallback.get(t, (to_cbs[t], ""))
        rows.append((TO15, t, TO, cbs, "1", BASIS, extra or "1:1 (derived CBS code)"))
    out = _frame(rows)
    assert set(out.to_code) <= cbs2019
    return out, shares


def _cbs_fallback(bbga, buurten2019, cbs2019: set[str], to_cbs: dict[str, str],
                  ois: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """2015 codes whose derived CBS code is not a CBS 2019 buurt → the nearest CBS 2019 buurt (RD metres).

    Only for areas without dwellings: a share with dwellings must not be moved on a guess.
    """
    out = {}
    dw = ois.assign(n=ois.woningen_totaal.astype(int)).groupby("buurt_code_ois").n.sum()
    rd = buurten2019.to_crs(28992)
    for t, cbs in sorted(to_cbs.items()):
        if cbs in cbs2019:
            continue
        poly = bbga.loc[bbga.buurt_code_ois == t].to_crs(28992).geometry
        assert len(poly) == 1, f"{t}: no BBGA 2018 polygon to place it"
        hit = rd[rd.intersects(poly.iloc[0])]
        assert hit.empty, f"{t} overlaps CBS 2019 buurten {list(hit.bu_code)}: map it by overlay"
        assert dw.get(t, 0) == 0, f"{t} has dwellings: its share may not go to the nearest buurt"
        dist = shapely.distance(rd.geometry.to_numpy(), poly.iloc[0])
        i = int(np.argmin(dist))
        near = rd.bu_code.iloc[i]
        out[t] = (near, f"WARNING {t} ({cbs}) is no CBS 2019 buurt: its BBGA 2018 polygon meets no CBS 2019 buurt "
                        f"(not yet land in 2019); mapped to the nearest, {near} at {dist[i]:.0f} m; "
                        f"0 dwellings 2005-2017")
        print(f"warning: {t} → {cbs} missing in CBS 2019; mapped to nearest {near} ({dist[i]:.0f} m)")
    return out


def _frame(rows: list[tuple]) -> pd.DataFrame:
    cols = ["from_version", "from_code", "to_version", "to_code", "weight", "basis", "note"]
    return pd.DataFrame(rows, columns=cols).sort_values(cols[:4], ignore_index=True)


def wijk_crosswalk(ois: pd.DataFrame, shares: dict[str, dict[str, Fraction]], bijstand: pd.DataFrame,
                   overgang: pd.DataFrame, wijken: pd.DataFrame) -> pd.DataFrame:
    """OIS buurtcombinatie codes 2005–2013 → CBS 2019 wijken, composed from the buurt crosswalk.

    A wijk's weight to a CBS wijk = Σ over its buurten of (2013 dwellings × buurt share into that wijk),
    over its 2013 dwellings; 2017 (= 2015) OIS codes map 1:1 as version ``ois2015``.
    """
    to2010, _, _ = _transitions(overgang)
    d17 = ois[ois.jaar == "2017"].set_index("buurt_code_ois").cbs_bu_code_afgeleid.to_dict()
    d13 = ois[ois.jaar == "2013"].set_index("buurt_code_ois").woningen_totaal.astype(int).to_dict()
    cbs_bu = {c: {d17[t]: s for t, s in sh.items()} for c, sh in shares.items()}
    code_map = dict(zip(wijken.wijk_code_ois, wijken.cbs_wijk_code))
    old_codes = set(bijstand[bijstand.jaar.isin(["2005", "2009", "2013"])].wijk_code_ois) - {"X99"}
    rows = []
    by_wijk: dict[str, list[str]] = {}
    for c in shares:
        by_wijk.setdefault(c[:3], []).append(c)
    spell = {c[:3]: to2010[c][:3] for c in shares}
    assert all(spell[c[:3]] == to2010[c][:3] for c in shares), "a 2005 wijk has two 2010 spellings"
    assert old_codes <= set(by_wijk) | set(spell.values()), "a bijstand wijk has no buurten"
    for w in sorted(by_wijk):
        buurten = by_wijk[w]
        total = sum(d13[to2010[b]] for b in buurten)
        acc: dict[str, Fraction] = {}
        for b in buurten:
            dw = d13[to2010[b]] if total else 1
            for bu, s in cbs_bu[b].items():
                wk = "WK" + bu[2:8]
                acc[wk] = acc.get(wk, Fraction(0)) + dw * s
        norm = sum(acc.values())
        weights = decimal_weights({k: v / norm for k, v in acc.items()})
        note = (f"composed from the buurt crosswalk, weighted by the 2013 dwellings of its {len(buurten)} buurten"
                if total else f"no dwellings in 2013: equal weight per buurt ({len(buurten)})")
        for code in sorted({w, spell[w]}):
            for wk in sorted(k for k in weights if weights[k] != "0"):
                rows.append((FROM, code, TO, wk, weights[wk], BASIS, note))
    for w in sorted(code_map):
        rows.append((TO15, w, TO, code_map[w], "1", BASIS, "1:1 (wijk_code_ois ↔ cbs_wijk_code)"))
    out = _frame(rows)
    assert set(out.to_code) <= set(code_map.values())
    missing = old_codes - set(out.from_code)
    assert not missing, f"bijstand wijk codes without a mapping: {sorted(missing)}"
    return out
