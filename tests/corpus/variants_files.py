"""Hostile variants of OIS tables through mappings, the Leefbaarometer PC4 file and crosswalk files."""
from __future__ import annotations

import gzip

from ._kit import DEMO, REAL, V, Err, Flag, Val, Warn, rows_of, text_variant, write_rows

OIS = REAL / "amsterdam_ois" / "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv"
MAP = DEMO.parent / "mappings" / "ois_buurt_woningvoorraad_2005_2009.toml"
LBM = REAL / "leefbaarometer_pc4" / "leefbaarometer3_scores_pc4_2002_2022.csv.gz"
CW = DEMO / "crosswalk_ois2005_cbs2019.csv"
ADR = REAL / "amsterdam_buurten_2022_geo" / "amsterdam_pc4_buurt2022_adresgewichten.csv"


def ois(name, expect, mapping=lambda t: t, data=lambda r: None, **opts):
    """The OIS woningvoorraad table with its shipped mapping, either edited."""
    def make(tmp):
        r = rows_of(OIS)
        data(r)
        path = write_rows(r, tmp / OIS.name)
        m = tmp / MAP.name
        m.write_text(mapping(MAP.read_text()))
        return path, {"mapping": str(m)}
    return V(name, "indicator-file", make, expect, opts)


def _cell(row, column, value):
    def f(r):
        r[row - 1][r[0].index(column)] = value
    return f


def _col(column, fn):
    def f(r):
        i = r[0].index(column)
        for row in r[1:]:
            row[i] = fn(row)
    return f


def _add(extra):
    return lambda t: t + "\n" + extra + "\n"


def _jump(r):
    ji, wi = r[0].index("jaar"), r[0].index("woningen_totaal")
    hi = r[0].index("huur_corporatie")
    for row in r[1:]:
        if row[ji] == "2009" and row[wi]:
            row[wi] = str(int(row[wi]) * 1000)
            row[hi] = str(int(row[hi]) * 1000) if row[hi] else row[hi]


SHARE = '''geo_version = "ois2005"
level = "buurt"
source = "ois"
code = "buurt_code_ois"
year = "jaar"
[filter]
jaar = "2005"
[[indicator]]
id = "corp_share"
value = "p_huur_corporatie"
denominator = "woningen_totaal"
'''
A = ("A00a", 2005)
CORP = 21 / 644 * 100

OIS_VARIANTS = [
    ois("ois: as shipped", Val(*A[:1], "corp_share", 2005, CORP)),
    ois("ois: code column holds names", Err(1, "buurt_naam", "holds names"),
        mapping=lambda t: t.replace('code = "buurt_code_ois"', 'code = "buurt_naam"')),
    ois("ois: [[missing]] code per column", Flag("A00a", "corp_dwellings", 2005, "missing_code:21"),
        mapping=_add('[[missing]]\ncolumn = "huur_corporatie"\nvalues = ["21"]')),
    ois("ois: [[missing]] numeric form 21.0", Flag("A00a", "corp_share", 2005, "missing_code:21"),
        mapping=_add('[[missing]]\ncolumn = "*"\nvalues = ["21.0"]')),
    ois("ois: [[missing]] outside its years", Val("A00a", "corp_dwellings", 2005, 21),
        mapping=_add('[[missing]]\ncolumn = "huur_corporatie"\nvalues = ["21"]\nyears = [2009, 2017]')),
    ois("ois: [[missing]] bad years", Err(None, "years", "years must be [from, to]"),
        mapping=_add('[[missing]]\ncolumn = "x"\nvalues = ["0"]\nyears = 2009')),
    ois("ois: [[missing]] unknown key", Err(None, "value", "unknown key 'value' in [[missing]]"),
        mapping=_add('[[missing]]\ncolumn = "x"\nvalue = ["0"]')),
    ois("ois: numerator far over denominator", Err(2, "huur_corporatie", "more than its whole"),
        data=_cell(2, "huur_corporatie", "700")),
    ois("ois: numerator over denominator by rounding", Flag("A00a", "corp_share", 2005, "part_exceeds_whole"),
        data=_cell(2, "huur_corporatie", "647")),
    ois("ois: 99,999 corporation dwellings of 0", Err(2, "huur_corporatie", "more than its whole"),
        data=lambda r: (_cell(2, "huur_corporatie", "99999")(r), _cell(2, "woningen_totaal", "0")(r))),
    ois("ois: negative count", Err(3, "woningen_totaal", "negative count"), data=_cell(3, "woningen_totaal", "-5")),
    ois("ois: fractional count", Err(2, "huur_corporatie", "whole number"), data=_cell(2, "huur_corporatie", "21.5")),
    ois("ois: dutch thousands, nothing tells", Err(2, "woningen_totaal", "ambiguous"),
        data=_cell(2, "woningen_totaal", "1.644")),
    ois("ois: dutch thousands with decimal = ','", Val("A00a", "dwellings", 2005, 1644),
        data=_cell(2, "woningen_totaal", "1.644"), mapping=lambda t: 'decimal = ","\n' + t),
    ois("ois: decimal option on the command line", Val("A00a", "dwellings", 2005, 1644),
        data=_cell(2, "woningen_totaal", "1.644"), decimal=","),
    ois("ois: unit jump ×1000 in 2009", Err(None, None, "change of unit"), data=_jump),
    ois("ois: unknown mapping key", Err(None, "colour", "valid keys: areas, code"),
        mapping=lambda t: 'colour = "red"\n' + t),
    ois("ois: unknown key in [[indicator]]", Err(None, "colour", "in [[indicator]]; valid keys"),
        mapping=lambda t: t.replace('id = "dwellings"', 'id = "dwellings"\ncolour = "red"')),
    ois("ois: unknown indicator id", Err(None, "id", "unknown indicator id 'woningen'"),
        mapping=lambda t: t.replace('id = "dwellings"', 'id = "woningen"')),
    ois("ois: bad code_regex", Err(None, "code_regex", "not a valid regular expression"),
        mapping=lambda t: "code_regex = '^(A'\n" + t),
    ois("ois: template not fitting the regex", Err(None, "code_template", "does not fit code_regex"),
        mapping=lambda t: "code_regex = '^A(\\\\d)'\ncode_template = '{nr}'\n" + t),
    ois("ois: wrong level", Err(None, "level", "level 'buurten' unknown"),
        mapping=lambda t: t.replace('level = "buurt"', 'level = "buurten"')),
    ois("ois: areas not a boolean", Err(None, "areas", "areas must be a bool"),
        mapping=lambda t: t.replace("areas = true", 'areas = "yes"')),
    ois("ois: scale_from zero", Err(None, "scale_from", "positive number"),
        mapping=lambda t: t.replace('value = "woningen_totaal"', 'value = "woningen_totaal"\nscale_from = 0')),
    ois("ois: TOML syntax error", Err(None, None, "not valid TOML"), mapping=lambda t: t + "\n[[indicator\n"),
    ois("ois: indicator key inside [filter]", Err(None, "indicator", "no [[indicator]] entries"),
        mapping=lambda t: t.split("[[indicator]]")[0] + 'indicator = "dwellings"\n'),
    ois("ois: column missing from data", Err(None, "value", "has no column 'woningen'"),
        mapping=lambda t: t.replace('value = "woningen_totaal"', 'value = "woningen"')),
    ois("ois: year with a letter", Err(3, "jaar", "four-digit year"), data=_cell(3, "jaar", "2O05"),
        mapping=lambda t: t.replace('[filter]\njaar = ["2005", "2009"]', "")),
    ois("ois: empty code", Err(2, "buurt_code_ois", "empty area code"), data=_cell(2, "buurt_code_ois", "")),
    ois("ois: empty code skipped", Warn("dropped 1 row(s) without a code: file row(s) 2"),
        data=_cell(2, "buurt_code_ois", ""), mapping=lambda t: "skip_empty_code = true\n" + t),
    ois("ois: filter keeps nothing", Err(None, "filter", "keep no row"),
        mapping=lambda t: t.replace('jaar = ["2005", "2009"]', 'jaar = ["1990"]')),
    ois("ois: duplicate code and year", Err(None, None, "duplicate"), data=lambda r: r.insert(5, list(r[1]))),
    ois("ois: count pointed at a percentage column", Err(None, "p_huur_corporatie", "whole number"),
        mapping=lambda t: t.replace('value = "woningen_totaal"', 'value = "p_huur_corporatie"')),
    ois("ois: share and population", Val("A00a", "corp_share", 2005, 3.3 / 100 * 644, "numerator"),
        mapping=lambda t: SHARE),
    ois("ois: share and population, flagged derived", Flag("A00a", "corp_share", 2005, "num_from_pct"),
        mapping=lambda t: SHARE),
    ois("ois: share as fractions", Err(None, "p_huur_corporatie", "scale_from = 1"),
        data=_col("p_huur_corporatie", lambda row: f"{float(row[8]) / 100:g}" if row[8] else ""),
        mapping=lambda t: SHARE),
    ois("ois: share as fractions with scale_from = 1", Val("A00a", "corp_share", 2005, 3.3),
        data=_col("p_huur_corporatie", lambda row: f"{float(row[8]) / 100:g}" if row[8] else ""),
        mapping=lambda t: SHARE.replace('denominator = "woningen_totaal"', 'denominator = "woningen_totaal"\nscale_from = 1')),
    ois("ois: share with a count kind", Err(None, "id", "only for rates"),
        mapping=lambda t: SHARE.replace('id = "corp_share"', 'id = "dwellings"')),
    ois("ois: mapping written for another file", Warn("was written for", Val("A00a", "corp_share", 2005, CORP)),
        mapping=lambda t: t.replace("amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv", "x.csv")),
]


lbm = text_variant(LBM, "leefbaarometer", "leefbaarometer_pc4.csv")


def _lbm_line(t, i, fn):
    lines = t.split("\n")
    lines[i] = fn(lines[i])
    return "\n".join(lines)


S0, A0 = 4.216484120900081, 0.11421926975639664
LBM_VARIANTS = [
    lbm("lbm: as published", lambda t: t, Val("PC1011", "lbm_score", 2002, S0)),
    lbm("lbm: the deviation is its own indicator", lambda t: t, Val("PC1011", "lbm", 2002, A0)),
    lbm("lbm: Dutch export ; and ,", lambda t: t.replace(",", ";").replace(".", ","), Val("PC1011", "lbm", 2002, A0)),
    lbm("lbm: one decimal comma in a point file", lambda t: _lbm_line(t, 1, lambda s: s.replace("4.216484120900081", '"4,2"')),
        Err(None, None, "writes decimals with a point")),
    lbm("lbm: five-digit postcode", lambda t: _lbm_line(t, 1, lambda s: "10115" + s[4:]), Err(2, "PC4", "four-digit postcode")),
    lbm("lbm: postcode with letters", lambda t: _lbm_line(t, 1, lambda s: "abcd" + s[4:]), Err(2, "PC4", "four-digit postcode")),
    lbm("lbm: year with a letter", lambda t: _lbm_line(t, 1, lambda s: s.replace(",2002,", ",2OO2,")), Err(2, "jaar", "four-digit year")),
    lbm("lbm: duplicate row", lambda t: _lbm_line(t, 2, lambda s: t.split("\n")[1]), Err(3, "PC4", "duplicate")),
    lbm("lbm: inf deviation", lambda t: _lbm_line(t, 1, lambda s: s.replace("0.11421926975639664", "inf")), Err(2, "afw", "expected a number")),
    lbm("lbm: score ×10", lambda t: _lbm_line(t, 1, lambda s: s.replace("4.216484120900081", "42.16484120900081")),
        Flag("PC1011", "lbm_score", 2002, "implausible")),
    lbm("lbm: model 2.0 column", lambda t: t.replace(",won\n", ",vei\n", 1), Err(1, "vei", "other Leefbaarometer model")),
    lbm("lbm: no deviation column", lambda t: t.replace(",afw,", ",xxx,", 1), Err(1, "afw", "deviation score")),
    lbm("lbm: class 10", lambda t: t.replace(",won\n", ",won,kscore\n", 1).replace("\n", ",5\n").replace("won,kscore,5", "won,kscore").replace(
        "0.11421926975639664,NA,NA,NA,NA,NA,5", "0.11421926975639664,NA,NA,NA,NA,NA,10", 1), Err(2, "kscore", "whole number 1–9")),
    lbm("lbm: gzip cut off", lambda t: gzip.compress(t.encode())[:-500], Err(None, None, "ends early"),
        fname="leefbaarometer_pc4.csv.gz"),
    lbm("lbm: NA for a whole dimension year is no fact", lambda t: t, Warn("not published for those years")),
]


def cw(name, fn, expect, src=CW, kind="crosswalk", **opts):
    def make(tmp):
        r = rows_of(src)
        fn(r)
        return write_rows(r, tmp / src.name)
    return V(name, kind, make, expect, opts)


ADR_OPTS = {"from_version": "lbm3-2022", "to_version": "cbs2023"}
CW_VARIANTS = [
    cw("crosswalk: weight over 1", _cell(2, "weight", "1.5"), Err(2, "weight", "outside [0, 1]")),
    cw("crosswalk: negative weight", _cell(2, "weight", "-0.5"), Err(2, "weight", "outside [0, 1]")),
    cw("crosswalk: weight inf", _cell(2, "weight", "inf"), Err(2, "weight", "expected a number")),
    cw("crosswalk: weight a marker", _cell(2, "weight", "."), Err(2, "weight", "expected a number")),
    cw("crosswalk: weights not summing to 1", _cell(2, "weight", "0.5"), Err(2, "weight", "sum to 0.5")),
    cw("crosswalk: duplicate pair", lambda r: r.insert(3, list(r[1])), Err(None, "to_code", "appears twice")),
    cw("crosswalk: empty version", _cell(2, "from_version", ""), Err(2, "from_version", "empty")),
    cw("addresses: count inf", _cell(2, "n_adresregels", "inf"), Err(2, "n_adresregels", "expected a number"),
       src=ADR, kind="crosswalk-addresses", **ADR_OPTS),
    cw("addresses: count 1e400", _cell(2, "n_adresregels", "1e400"), Err(2, "n_adresregels", "not a finite number"),
       src=ADR, kind="crosswalk-addresses", **ADR_OPTS),
    cw("addresses: negative count", _cell(2, "n_adresregels", "-3"), Err(2, "n_adresregels", "negative count"),
       src=ADR, kind="crosswalk-addresses", **ADR_OPTS),
    cw("addresses: count as text", _cell(2, "n_adresregels", "veel"), Err(2, "n_adresregels", "expected a number"),
       src=ADR, kind="crosswalk-addresses", **ADR_OPTS),
    cw("addresses: ambiguous thousands", _cell(2, "n_adresregels", "1.434"), Err(2, "n_adresregels", "ambiguous"),
       src=ADR, kind="crosswalk-addresses", **ADR_OPTS),
    cw("addresses: no versions given", lambda r: None, Err(None, None, "option from_version is required"),
       src=ADR, kind="crosswalk-addresses"),
]

VARIANTS = OIS_VARIANTS + LBM_VARIANTS + CW_VARIANTS
