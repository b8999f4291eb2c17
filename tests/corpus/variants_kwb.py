"""Hostile variants of the real KWB files (Utrecht 2023 and the gemeente series 2020–2025), read with cbs-kwb."""
from __future__ import annotations

import gzip
import io
import zipfile

from ._kit import REAL, V, Err, Flag, Val, edit_cell, rows_of, text_variant, write_rows

U = REAL / "kwb_utrecht_gemeente" / "kwb_2023_gemeente_utrecht.csv"
G = REAL / "kwb_gemeente_2020_2025" / "kwb_gemeente_woningvoorraad_2020_2025.csv"
NAME = "kwb_2023_variant.csv"


def cell(name, column, value, expect, row=2, **opts):
    return V(name, "cbs-kwb", edit_cell(U, NAME, row, column, value), expect, opts)


whole = text_variant(U, "cbs-kwb", NAME)


def rows(name, fn, expect, src=U, fname=NAME, delimiter=",", **opts):
    def make(tmp):
        r = rows_of(src)
        fn(r)
        return write_rows(r, tmp / fname, delimiter=delimiter)
    return V(name, "cbs-kwb", make, expect, opts)


def _dutch(text: str) -> bytes:
    """The Utrecht file as a Dutch Excel export: ';', decimal comma, '.' grouping thousands, cp1252."""
    out = []
    for i, line in enumerate(text.splitlines()):
        cells = line.split(",") if "\"" not in line else next(__import__("csv").reader([line]))
        if i:
            cells = [c.replace(".", ",") if c.replace(".", "").isdigit() and "." in c else
                     (f"{int(c):,}".replace(",", ".") if c.isdigit() and len(c) > 3 else c) for c in cells]
        out.append(";".join(cells))
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


def _narrow(r):
    """Only code, region, type and three counts: nothing in the file shows the decimal separator."""
    keep = [r[0].index(c) for c in ("gwb_code_10", "regio", "recs", "a_inw", "a_hh", "a_woning")]
    r[:] = [[row[i] for i in keep] for row in r]


def _set(r, row, column, value):
    r[row - 1][r[0].index(column)] = value


def _scale_pct(r, factor=0.01):
    i = r[0].index("p_wcorpw")
    for row in r[1:]:
        if row[i] not in (".", ""):
            row[i] = f"{float(row[i]) * factor:g}"


def _bomb(_text) -> bytes:
    return gzip.compress(b"0" * (300 * 2**20), compresslevel=9)


def _xlsx_bytes(_text) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


def _woz_jump(r):
    yi, wi = r[0].index("year"), r[0].index("g_wozbag")
    for row in r[1:]:
        if row[yi] in ("2020", "2021", "2022"):
            row[wi] = str(int(row[wi]) // 1000)          # k-euro for 2020–2022, euro after
    return r


def _count_jump(r):
    yi, ai = r[0].index("year"), r[0].index("a_inw")
    for row in r[1:]:
        if row[yi] == "2025":
            row[ai] = str(int(row[ai]) * 1000)


RES = "residents"
VARIANTS = [
    # ---------------------------------------------------------------- separators and number forms
    cell("dutch thousands in a file with decimal points", "a_inw", "367.947", Err(2, "a_inw", "whole number")),
    cell("english thousands quoted", "a_inw", "367,947", Val("GM0344", RES, 2023, 367947)),
    cell("space grouping", "a_inw", "367 947", Val("GM0344", RES, 2023, 367947)),
    cell("no-break space grouping", "a_inw", "367\u00a0947", Val("GM0344", RES, 2023, 367947)),
    cell("leading plus", "a_inw", "+367947", Val("GM0344", RES, 2023, 367947)),
    cell("padded with spaces", "a_inw", "  367947 ", Val("GM0344", RES, 2023, 367947)),
    cell("1.234.567 grouping in a file with decimal points", "a_inw", "1.367.947",
         Err(None, None, "writes decimals with a point")),
    cell("decimal comma in a file with decimal points", "g_wozbag", "458,5",
         Err(None, None, "writes decimals with a point")),
    cell("scientific notation", "a_inw", "3.67947e5", Val("GM0344", RES, 2023, 367947)),
    cell("fractional count", "a_inw", "367947.5", Err(2, "a_inw", "a count must be a whole number")),
    whole("whole file a Dutch Excel export (; , cp1252)", _dutch, Val("GM0344", RES, 2023, 367947)),
    whole("Dutch export: decimal comma kept", _dutch, Val("GM0344", "woz", 2023, 458)),
    rows("ambiguous 2.220 with nothing else telling", lambda r: (_narrow(r), _set(r, 2, "a_inw", "2.220")),
         Err(2, "a_inw", "ambiguous")),
    rows("ambiguous 2.220 resolved with decimal=','", lambda r: (_narrow(r), _set(r, 2, "a_inw", "2.220")),
         Val("GM0344", RES, 2023, 2220), decimal=","),
    rows("ambiguous 367,947 resolved with decimal='.'", lambda r: (_narrow(r), _set(r, 2, "a_inw", "367,947")),
         Val("GM0344", RES, 2023, 367947), decimal="."),
    rows("ambiguous 2.220 with decimal='.' is a fraction of a count", lambda r: (_narrow(r), _set(r, 2, "a_inw", "2.220")),
         Err(2, "a_inw", "whole number"), decimal="."),
    cell("unicode minus on a count", "a_inw", "\u2212367947", Err(2, "a_inw", "negative count")),
    # ---------------------------------------------------------------- markers, missing, non-finite
    cell("marker .", "a_inw", ".", Flag("GM0344", RES, 2023, "cbs_marker:.")),
    cell("marker -99995", "a_inw", "-99995", Flag("GM0344", RES, 2023, "cbs_marker:-99995")),
    cell("marker -99995.0", "g_wozbag", "-99995.0", Flag("GM0344", "woz", 2023, "cbs_marker:-99995")),
    cell("marker -99995.00", "a_inw", "-99995.00", Flag("GM0344", RES, 2023, "cbs_marker:-99995")),
    cell("marker -9.9995e4", "a_inw", "-9.9995e4", Flag("GM0344", RES, 2023, "cbs_marker:-99995")),
    cell("marker with unicode minus", "a_inw", "\u221299997", Flag("GM0344", RES, 2023, "cbs_marker:-99997")),
    cell("marker -99991", "p_wcorpw", "-99991", Flag("GM0344", "corp_share", 2023, "cbs_marker:-99991")),
    cell("marker -99999999", "a_woning", "-99999999", Flag("GM0344", "dwellings", 2023, "cbs_marker:-99999999")),
    cell("marker x", "a_inw", "x", Flag("GM0344", RES, 2023, "cbs_marker:x")),
    cell("marker ?", "a_inw", "?", Flag("GM0344", RES, 2023, "cbs_marker:?")),
    cell("empty cell", "a_inw", "", Flag("GM0344", RES, 2023, "missing")),
    cell("NA", "a_inw", "NA", Flag("GM0344", RES, 2023, "missing")),
    cell("NaN", "a_inw", "NaN", Flag("GM0344", RES, 2023, "missing")),
    cell("inf", "a_inw", "inf", Err(2, "a_inw", "expected a number")),
    cell("Infinity", "a_woning", "Infinity", Err(2, "a_woning", "expected a number")),
    cell("1e400", "a_inw", "1e400", Err(2, "a_inw", "not a finite number")),
    cell("400 digits", "a_woning", "9" * 400, Err(2, "a_woning", "not a finite number")),
    cell("1e15 dwellings", "a_woning", "1000000000000000", Err(2, "a_woning", "beyond")),
    cell("text in a number column", "a_inw", "veel", Err(2, "a_inw", "expected a number")),
    cell("dash for zero", "a_inw", "-", Err(2, "a_inw", "expected a number")),
    cell("percent sign in a count", "a_inw", "31%", Err(2, "a_inw", "percentage sign")),
    cell("percent sign in a percentage", "p_wcorpw", "31%", Val("GM0344", "corp_share", 2023, 31)),
    # ---------------------------------------------------------------- meaning
    cell("negative count", "a_woning", "-910", Err(2, "a_woning", "negative count")),
    cell("negative WOZ", "g_wozbag", "-458", Err(2, "g_wozbag", "cannot be negative")),
    cell("WOZ implausibly low", "g_wozbag", "2", Flag("GM0344", "woz", 2023, "implausible")),
    cell("percentage over 100", "p_wcorpw", "131", Flag("GM0344", "corp_share", 2023, "pct_over_100")),
    cell("negative percentage", "p_wcorpw", "-3", Flag("GM0344", "corp_share", 2023, "negative_value")),
    cell("bijstand more than residents", "a_soz_wb", "500000", Err(2, "a_soz_wb", "more than its whole")),
    cell("bijstand a little over residents (rounding)", "a_inw", "10408",
         Flag("GM0344", "bijstand", 2023, "part_exceeds_whole")),
    rows("percentages as fractions", _scale_pct, Err(None, "p_wcorpw", "fractions rather than percentages")),
    rows("fractions with pct_form=fraction", _scale_pct, Val("GM0344", "corp_share", 2023, 31), pct_form="fraction"),
    cell("corporation share without dwellings", "a_woning", ".", Flag("GM0344", "corp_share", 2023, "no_denominator")),
    cell("recs contradicts the code", "recs", "Buurt", Err(2, "recs", "does not fit code")),
    cell("code of no CBS form", "gwb_code_10", "XX0344", Err(2, "gwb_code_10", "not a CBS area code")),
    cell("code is a name", "gwb_code_10", "Utrecht", Err(2, "gwb_code_10", "not a CBS area code")),
    cell("empty code", "gwb_code_10", "", Err(2, "gwb_code_10", "empty area code")),
    cell("lower-case code", "gwb_code_10", "gm0344", Val("GM0344", RES, 2023, 367947)),
    rows("duplicate code", lambda r: r.append(list(r[1])), Err(124, "gwb_code_10", "duplicate")),
    # ---------------------------------------------------------------- structure
    whole("truncated mid last field", lambda t: t.rstrip("\n")[:-2], Err(123, "ste_oad", "ends in the middle")),
    whole("truncated mid row", lambda t: t.rstrip("\n").rsplit(",", 40)[0], Err(123, None, "too few fields")),
    whole("unterminated but complete, allowed", lambda t: t.rstrip("\n"), Val("GM0344", RES, 2023, 367947)),
    whole("a field too many", lambda t: t.replace("GM0344,0344", "GM0344,0344,extra", 1), Err(2, None, "a field too many")),
    whole("a field too few", lambda t: t.replace("GM0344,0344,", "GM0344,", 1), Err(2, None, "too few fields")),
    whole("colon delimiter", lambda t: t.replace(",", ":"), Err(1, None, "delimiter seems to be ':'")),
    whole("tab delimiter", lambda t: t.replace(",", "\t"), Val("GM0344", RES, 2023, 367947)),
    whole("pipe delimiter", lambda t: t.replace(",", "|"), Val("GM0344", RES, 2023, 367947)),
    whole("CRLF line ends", lambda t: t.replace("\n", "\r\n"), Val("GM0344", RES, 2023, 367947)),
    whole("UTF-8 BOM", lambda t: "\ufeff" + t, Val("GM0344", RES, 2023, 367947)),
    whole("UTF-16 LE with BOM", lambda t: t.encode("utf-16"), Val("GM0344", RES, 2023, 367947)),
    whole("UTF-16 BE without BOM", lambda t: t.encode("utf-16-be"), Val("GM0344", RES, 2023, 367947)),
    whole("cp1252 name", lambda t: t.replace("Wijk 01 West", "Wijk 01 Wést").encode("cp1252"),
          Val("WK034401", RES, 2023, 29040)),
    whole("blank lines between rows", lambda t: t.replace("\nWK034401", "\n\n\nWK034401"), Val("WK034401", RES, 2023, 29040)),
    whole("error after blank lines names the right row",
          lambda t: t.replace("\nWK034401", "\n\nWK034401").replace("WK034401,034401,Wijk 01 West,Utrecht,Wijk,WK034401,1,29040",
                                                                     "WK034401,034401,Wijk 01 West,Utrecht,Wijk,WK034401,1,-5"),
          Err(4, "a_inw", "negative count")),
    whole("only a header", lambda t: t.splitlines()[0] + "\n", Err(2, None, "no data rows")),
    whole("empty file", lambda t: "", Err(None, None, "empty")),
    whole("whitespace only", lambda t: "  \n\n", Err(None, None, "empty")),
    whole("NUL bytes", lambda t: b"\x00\x01\x02" * 1000, Err(None, None, "binary")),
    whole("xlsx named .csv", _xlsx_bytes, Err(1, None, "zip archive")),
    whole("parquet named .csv", lambda t: b"PAR1" + b"\0" * 100, Err(1, None, "Parquet")),
    whole("PDF named .csv", lambda t: b"%PDF-1.4 ...", Err(1, None, "PDF")),
    whole("gzip bomb", _bomb, Err(None, None, "decompressing stopped"), fname="kwb_2023_bomb.csv.gz"),
    whole("truncated gzip", lambda t: gzip.compress(t.encode())[:-200], Err(None, None, "ends early"),
          fname="kwb_2023_cut.csv.gz"),
    whole("gzip of the file", lambda t: gzip.compress(t.encode()), Val("GM0344", RES, 2023, 367947),
          fname="kwb_2023_ok.csv.gz"),
    whole("duplicate column name", lambda t: t.replace("a_man,", "a_inw,", 1), Err(1, "a_inw", "appears twice")),
    whole("no code column", lambda t: t.replace("gwb_code_10", "code10", 1).replace(",gwb_code,", ",gwbcode,", 1),
          Err(1, "gwb_code", "no area code column")),
    whole("no year anywhere", lambda t: t, Err(None, None, "cannot tell the KWB year"), fname="kwb_variant.csv"),
    whole("year option instead of file name", lambda t: t, Val("GM0344", RES, 2019, 367947), fname="kwb.csv", year=2019),
    whole("quoted name with delimiter", lambda t: t.replace("Wijk 01 West", '"West, Utrecht"'), Val("WK034401", RES, 2023, 29040)),
    whole("quoted name with a line break", lambda t: t.replace("Wijk 01 West", '"West\nUtrecht"'), Val("BU03440111", RES, 2023, 1810)),
    # ---------------------------------------------------------------- years in one file (gemeente series)
    rows("WOZ in k-euro 2020–2022, euro after", _woz_jump, Err(None, "g_wozbag", "change of unit"), src=G,
         fname="kwb_gemeente.csv"),
    rows("residents ×1000 in 2025", _count_jump, Err(None, "a_inw", "change of unit"), src=G, fname="kwb_gemeente.csv"),
    rows("series in euros throughout: converted and flagged", lambda r: r, Flag("GM0003", "woz", 2020, "woz_eur_to_k"),
         src=G, fname="kwb_gemeente.csv"),
    rows("series: value kept in k-euro", lambda r: r, Val("GM0003", "woz", 2020, 155), src=G, fname="kwb_gemeente.csv"),
    rows("series: year column with text", lambda r: _set(r, 5, "year", "twintig"), Err(5, "year", "expected"),
         src=G, fname="kwb_gemeente.csv"),
    rows("series: duplicate gemeente in a year", lambda r: _set(r, 3, "gwb_code", "GM0003"), Err(3, "gwb_code", "duplicate"),
         src=G, fname="kwb_gemeente.csv"),
]
