/* Legend, profile and compare panels (with inline SVG trend lines), search and exports. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // "label (unit)", unless the label already names its unit ("Leefbaarometer: totaal (afwijking)")
  const withUnit = (label, unit) => (unit && !String(label).includes("(" + unit + ")") ? label + " (" + unit + ")" : label);

  // ------------------------------------------------------------------ legend
  const Legend = {
    colorOf(view, a) {
      if (!a) return view.missing_color;
      const [, cls, status] = a;
      if (status === "suppressed") return "#eeeeee";
      if (status === "missing" || cls === null || cls === -1) return view.missing_color;   // dotted on the map
      const e = (view.legend || []).find((x) => String(x.cls) === String(cls));
      return e ? e.color : view.missing_color;
    },
    entryText(app, view, e) {
      if (e.label_nl !== undefined) return app.state.lang === "en" ? e.label_en : e.label_nl;
      if (e.low === null || e.low === undefined) return "≤ " + app.fmt(e.high, view.decimals);
      if (e.high === null || e.high === undefined) return "> " + app.fmt(e.low, view.decimals);
      return app.fmt(e.low, view.decimals) + " – " + app.fmt(e.high, view.decimals);
    },
    valueText(app, a) {
      const [value, cls, status] = a;
      if (status === "suppressed") return t("suppressed");
      if (value === null) return t("missing");
      const v = app.view;
      if (v.kind !== "numeric") {
        const e = (v.legend || []).find((x) => String(x.cls) === String(cls));
        return e ? Legend.entryText(app, v, e) : String(value);
      }
      return app.fmt(value, v.decimals) + (v.unit ? " " + v.unit : "") + (status === "unreliable" ? " (" + t("unreliable").toLowerCase() + ")" : "");
    },
    render(app, view) {
      const el = $("legend");
      const counts = view.counts || {};
      const open = !app.legendCollapsed;
      // collapsible: at 1366×800 the open legend would cover part of the city
      let html = `<div class="legend-head"><h2 id="legend-title">${esc(view.title)}</h2>`
        + `<button type="button" id="legend-toggle" class="x" aria-expanded="${open}" aria-controls="legend-body" `
        + `aria-label="${esc(t(open ? "legend_hide" : "legend_show"))}" title="${esc(t(open ? "legend_hide" : "legend_show"))}">${open ? "▾" : "▸"}</button></div>`;
      html += `<div id="legend-body"${open ? "" : " hidden"}>`;
      const auto = app.autoLevel;
      if (auto && app.state.level === auto.to) {
        const lv = (k) => t("level_" + k).toLowerCase();
        html += `<p class="note auto-level">${esc(t("auto_level").replaceAll("{from}", lv(auto.from)).replaceAll("{to}", lv(auto.to)))}</p>`;
      }
      if (view.unit) html += `<div class="unit">${esc(t("unit"))}: ${esc(view.unit)}</div>`;
      // a deviation score (registry unit "afwijking", the Leefbaarometer) is drawn raw, and says so
      const ind = app.meta.indicators.find((i) => i.id === app.state.indicator);
      if (ind && ind.unit === "afwijking" && ["value", "change"].includes(app.state.mode)) html += `<p class="note lbm-raw">${esc(t("lbm_raw"))}</p>`;
      if (!view.available) html += `<p class="na">${esc(t("not_available"))}: ${esc(view.message)}</p>`;
      const grid = view.kind === "bivariate";
      html += `<ul class="${grid ? "bivariate" : "classes"}">`;
      for (const e of view.legend || []) {
        html += `<li><span class="sw" style="background:${esc(e.color)}"></span>${esc(Legend.entryText(app, view, e))}</li>`;
      }
      html += "</ul><ul class='classes statuses'>";
      for (const k of ["unreliable", "suppressed", "missing"]) {
        if (!counts[k]) continue;
        html += `<li><span class="sw ${k}"></span>${esc(t(k))} (${counts[k]})</li>`;
      }
      html += "</ul>";
      if (view.kind === "numeric" && app.state.mode === "value") html += `<p class="note">${esc(t("pooled_note"))}</p>`;
      // the analyses' caveats fold away so the legend does not cover the map; the first is shown
      // short notes (estimates, the stable band) stay in view; long caveats fold away
      const notes = view.notes || [], short = notes.filter((n) => n.length <= 110), long = notes.filter((n) => n.length > 110);
      html += short.map((n) => `<p class="note">${esc(n)}</p>`).join("");
      if (long.length) html += `<details class="notes"><summary>${esc(t("more_notes"))} (${long.length})</summary>`
        + long.map((n) => `<p class="note">${esc(n)}</p>`).join("") + "</details>";
      if ((view.sources || []).length) html += `<p class="src">${esc(t("source"))}: ${esc(view.sources.join("; "))}</p>`;
      el.innerHTML = html + "</div>";
      $("legend-toggle").addEventListener("click", () => { app.legendCollapsed = open; Legend.render(app, view); if (window.Labels) window.Labels.place(app); });
    },
  };

  // ------------------------------------------------------------------ trend chart (inline SVG)
  function chart(app, tr) {
    const W = 300, H = 150, L = 44, R = 16, T = 10, B = 24;
    const series = [["area", tr.area, "#c0392b", ""], ["gemeente", tr.gemeente, "#2c3e50", "5 3"], ["country", tr.country, "#7f8c8d", "2 3"]]
      .filter(([, s]) => s && s.some((p) => p.value !== null));
    const pts = series.flatMap(([, s]) => s.filter((p) => p.value !== null));
    if (!pts.length) return `<p class="muted">${esc(t("missing"))}</p>`;
    const xs = pts.map((p) => p.year), ys = pts.map((p) => p.value);
    let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const pad = (y1 - y0) * 0.1; y0 = Math.max(y0 >= 0 ? 0 : y0 - pad, y0 - pad); y1 += pad;
    const X = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R), Y = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
    let svg = `<svg viewBox="0 0 ${W} ${H}" class="chart" role="img" aria-label="${esc(t("trend") + ": " + tr.label)}">`;
    for (let i = 0; i <= 3; i++) {
      const v = y0 + ((y1 - y0) * i) / 3;
      svg += `<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" class="grid"/><text x="${L - 4}" y="${Y(v) + 3}" text-anchor="end">${esc(app.fmt(v))}</text>`;
    }
    [...new Set(xs)].sort().forEach((x) => (svg += `<text x="${X(x)}" y="${H - 8}" text-anchor="middle">${x}</text>`));
    for (const [key, s, color, dash] of series) {
      const p = s.filter((q) => q.value !== null);
      svg += `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}" points="${p.map((q) => X(q.year) + "," + Y(q.value)).join(" ")}"><title>${esc(t(key === "area" ? "this_area" : key))}</title></polyline>`;
      p.forEach((q) => (svg += `<circle cx="${X(q.year)}" cy="${Y(q.value)}" r="2.5" fill="${color}"><title>${q.year}: ${esc(app.fmt(q.value, tr.decimals))}</title></circle>`));
    }
    svg += "</svg>";
    const keys = series.map(([k, s, c, d]) => `<span class="key"><svg width="22" height="8"><line x1="0" x2="22" y1="4" y2="4" stroke="${c}" stroke-width="2" stroke-dasharray="${d}"/></svg>${esc(t(k === "area" ? "this_area" : k))}${s.some((p) => p.pooled) ? " (" + esc(t("pooled")) + ")" : ""}</span>`).join("");
    return svg + `<div class="keys">${keys}</div>`;
  }

  // a sparkline: the area's series, the map's year as a dot (inline SVG, 64×18)
  function spark(app, trend, year, digits) {
    const pts = (trend || []).filter((p) => p[1] !== null);
    if (pts.length < 2) return "";
    const W = 64, H = 18, xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const X = (x) => 2 + ((x - x0) / ((x1 - x0) || 1)) * (W - 4), Y = (y) => H - 2 - ((y - y0) / ((y1 - y0) || 1)) * (H - 4);
    const here = pts.find((p) => p[0] === year);
    const words = `${t("trend")}: ${pts[0][0]} ${app.fmt(pts[0][1], digits)} → ${pts[pts.length - 1][0]} ${app.fmt(pts[pts.length - 1][1], digits)}`;
    return `<svg class="spark" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(words)}"><title>${esc(words)}</title>`
      + `<polyline fill="none" stroke="#3d5a80" stroke-width="1.5" points="${pts.map((p) => X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1)).join(" ")}"/>`
      + (here ? `<circle cx="${X(here[0]).toFixed(1)}" cy="${Y(here[1]).toFixed(1)}" r="2.5" fill="#c0392b"/>` : "") + "</svg>";
  }
  const MAX_COMPARE = 5;
  // an area's name for the lists (codes only when no name is known)
  function nameOf(app, code) { return (app.names && app.names.get(code)) || (app.selNames || {})[code] || code; }
  const desc = (d) => (d ? `<span class="desc">${esc(d)}</span>` : "");

  // ------------------------------------------------------------------ panels
  const Panels = {
    async openProfile(app, code, quiet) {
      const s = app.state;
      s.profile = code; app.writeUrl();
      Panels.highlight(app);
      const body = $("panel-body");
      if ($("panel").hidden || $("panel").classList.contains("wide")) { $("panel").classList.remove("wide"); $("panel").hidden = false; app.map.resize(); }
      if (!quiet) body.innerHTML = `<p>${esc(t("loading"))}</p>`;
      let p;
      try {
        p = await app.api(`/api/profile/${encodeURIComponent(s.version)}/${encodeURIComponent(code)}`,
                          { indicator: s.indicator, year: s.year, lang: s.lang });
      } catch (err) { body.innerHTML = `<p class="error">${esc(err.message)}</p>`; return; }
      app.selNames = app.selNames || {}; app.selNames[code] = p.name;
      // the map's year; an indicator without it shows its latest year, marked
      const figs = p.key_figures.map((f) => `<tr data-indicator="${esc(f.indicator)}" class="st-${esc(f.status)}"><th scope="row">${esc(f.label)}${desc(f.description)}</th>`
        + `<td class="num">${f.value === null ? esc(t(f.status === "suppressed" ? "suppressed" : "missing")) : esc(app.fmt(f.value, f.decimals))}</td>`
        + `<td>${esc(f.unit)}</td><td class="${f.year === s.year ? "" : "other-year"}">${f.year}</td></tr>`).join("");
      const typ = p.typology.available
        ? `<p><strong>${esc(p.typology.class || "—")}</strong>${p.typology.rule ? `<br>${esc(t("rule"))}: ${esc(p.typology.rule)}` : ""}</p>`
        : `<p class="muted">${esc(t("typology_na"))}</p>`;
      const trends = p.trends.slice(0, 3).map((tr) => `<h4>${esc(withUnit(tr.label, tr.unit))}</h4>${chart(app, tr)}`).join("");
      const notes = p.reliability.length ? `<ul>${p.reliability.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : `<p class="muted">${esc(t("no_notes"))}</p>`;
      const prov = p.provenance.map((r) => `<li>${esc(r.kind)}: ${esc(r.file)}${r.vintage ? " — " + esc(r.vintage) : ""} <span class="muted">(${esc((r.loaded_at || "").slice(0, 10))})</span></li>`).join("");
      // a buurt's dwellings in 100 m cells beyond the turn of the grid tipping point (when the store has the grid)
      const bt = p.beyond_turn || {};
      const beyond = !bt.available ? "" : `<h3>${esc(t("beyond_turn"))}</h3><p id="profile-beyond-turn" class="st-${esc(bt.status)}">`
        + (bt.share === null ? esc(t("suppressed"))
          : esc(t("beyond_turn_text")).replace("{share}", esc(app.fmt(bt.share, 1))).replace("{beyond}", esc(String(bt.beyond)))
            .replace("{dwellings}", esc(String(bt.dwellings))).replace("{turn}", esc(app.fmt(bt.turn, 1))).replace("{year}", esc(String(bt.year))))
        + "</p>";
      const inSel = s.sel.includes(code);
      body.innerHTML = `<h2 id="profile-name">${esc(p.name)}</h2>
        <p class="codes">${esc(t("level_" + p.level))} <code>${esc(p.code)}</code>${p.wk_code && p.level === "buurt" ? ` · ${esc(p.wk_name || "")} <code>${esc(p.wk_code)}</code>` : ""}${p.gm_code && p.level !== "gemeente" ? ` · ${esc(p.gm_name || "")} <code>${esc(p.gm_code)}</code>` : ""}</p>
        <button type="button" id="profile-compare">${esc(inSel ? t("remove") : t("add_compare"))}</button>
        <h3>${esc(t("key_figures"))} ${esc(s.year)}</h3><table class="figures" id="profile-figures"><tbody>${figs}</tbody></table>
        <h3>${esc(t("trend"))}</h3>${trends}
        <h3>${esc(t("typology"))}</h3><div id="profile-typology">${typ}</div>${beyond}
        <h3>${esc(t("reliability"))}</h3>${notes}
        <h3>${esc(t("sources"))}</h3><ul class="sources">${prov}</ul>`;
      if (!quiet) Panels.showAbove(app, code);     // once the sheet has its height
      $("profile-compare").addEventListener("click", () => { Panels.toggleSelect(app, code); Panels.openProfile(app, code, true); });
    },
    // phone: the profile takes the lower half and the map shrinks above it; bring the area into view
    showAbove(app, code) {
      if (!window.matchMedia("(max-width: 700px)").matches) return;
      // the map is small now: fold the legend to its title (one tap opens it again)
      if (!app.legendCollapsed && app.view) { app.legendCollapsed = true; Legend.render(app, app.view); }
      const feats = app.map.querySourceFeatures("areas", { filter: ["==", ["get", "code"], code] });
      if (!feats.length) return;
      let b = [180, 90, -180, -90];
      const walk = (c) => { if (typeof c[0] === "number") b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])]; else c.forEach(walk); };
      feats.forEach((f) => walk(f.geometry.coordinates));
      app.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { animate: false, maxZoom: Math.max(app.map.getZoom(), 13),
        padding: { top: 16, left: 16, right: 56, bottom: 16 } });
    },
    toggleSelect(app, code) {
      const s = app.state;
      s.sel = s.sel.includes(code) ? s.sel.filter((c) => c !== code) : s.sel.concat([code]).slice(-MAX_COMPARE);
      app.writeUrl(); Panels.highlight(app); Panels.renderSelection(app);
      if ($("compare-table") && s.sel.length >= 2) Panels.openCompare(app);   // an open comparison follows the selection
    },
    // Ctrl/⌘-click: click one area, Ctrl-click the next, and the two are compared; the area whose
    // profile is open is the first of the comparison
    ctrlSelect(app, code) {
      const s = app.state;
      if (s.profile && s.profile !== code && !s.sel.includes(s.profile)) s.sel = s.sel.concat([s.profile]);
      Panels.toggleSelect(app, code);
      if (s.sel.length >= 2) { if (!$("compare-table")) Panels.openCompare(app); }
      else if (s.sel.length === 1) Panels.openProfile(app, s.sel[0]);
    },
    highlight(app) {
      for (const code of app.codes) {
        app.map.setFeatureState({ source: "areas", id: code }, { selected: app.state.sel.includes(code) || app.state.profile === code });
      }
    },
    renderSelection(app) {
      const s = app.state, el = $("selection");
      if (!s.sel.length) { el.innerHTML = ""; return; }
      el.innerHTML = `<h3>${esc(t("selected"))}</h3><ul>${s.sel.map((c) => `<li><button type="button" class="link" data-open="${esc(c)}" title="${esc(c)}">${esc(nameOf(app, c))}</button> <button type="button" class="x" data-remove="${esc(c)}" aria-label="${esc(t("remove") + " " + nameOf(app, c))}">×</button></li>`).join("")}</ul>`
        + `<button type="button" id="compare-open" ${s.sel.length < 2 ? "disabled" : ""}>${esc(t("compare"))}</button> <button type="button" id="sel-clear">${esc(t("clear"))}</button>`;
      el.querySelectorAll("[data-open]").forEach((b) => b.addEventListener("click", () => Panels.openProfile(app, b.dataset.open)));
      el.querySelectorAll("[data-remove]").forEach((b) => b.addEventListener("click", () => Panels.toggleSelect(app, b.dataset.remove)));
      $("compare-open").addEventListener("click", () => Panels.openCompare(app));
      $("sel-clear").addEventListener("click", () => { s.sel = []; app.writeUrl(); Panels.highlight(app); Panels.renderSelection(app); });
    },
    async openCompare(app) {
      const s = app.state, body = $("panel-body");
      if ($("panel").hidden) { $("panel").hidden = false; app.map.resize(); }
      s.profile = null; app.writeUrl();
      let c;
      $("panel").classList.add("wide"); app.map.resize();
      try { c = await app.api("/api/compare", { version: s.version, codes: s.sel.join(","), year: s.year, lang: s.lang }); }
      catch (err) { body.innerHTML = `<p class="error">${esc(err.message)}</p>`; return; }
      app.selNames = app.selNames || {};
      c.areas.forEach((a) => (app.selNames[a.code] = a.name));
      Panels.renderSelection(app);
      const where = (a) => (a.level === "buurt" && a.wk_name ? a.wk_name : a.gm_name) || "";
      const head = c.areas.map((a) => `<th scope="col" title="${esc(a.code)}">${esc(a.name)}<br><span class="muted">${esc(where(a))}</span></th>`).join("");
      // the map's year; a value of another year (the indicator lacks the map's) says its year
      const cell = (r, x) => (x === null ? "—" : (x.value === null ? esc(t(x.status === "suppressed" ? "suppressed" : "missing"))
        : esc(app.fmt(x.value, r.decimals)) + (x.year !== s.year ? ` <span class="muted other-year">(${x.year})</span>` : ""))
        + `<br>${spark(app, x.trend, s.year, r.decimals)}`);
      const rows = c.rows.map((r) => `<tr data-indicator="${esc(r.indicator)}"><th scope="row">${esc(withUnit(r.label, r.unit))}${desc(r.description)}</th>${r.cells.map((x) => `<td class="num">${cell(r, x)}</td>`).join("")}</tr>`).join("");
      body.innerHTML = `<h2>${esc(t("compare_title"))} ${esc(s.year)}</h2><div class="table-scroll" tabindex="0" role="region" aria-label="${esc(t("compare_title"))}"><table class="figures compare" id="compare-table"><thead><tr><th></th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
    },
  };

  // ------------------------------------------------------------------ search
  const Search = {
    bind(app) {
      const input = $("search"), list = $("search-results");
      let timer = null, items = [];
      const close = () => { list.hidden = true; list.innerHTML = ""; };
      const choose = async (r) => {
        close(); input.value = r.match || r.name;
        const s = app.state;
        s.version = r.geo_version;
        // land on a view that shows the hit: an indicator the store holds for its version and level
        const has = (i) => ((i.available[r.geo_version] || {})[r.level] || []).length > 0;
        const ind = app.meta.indicators.find((i) => i.id === s.indicator);
        if (r.level !== "gemeente" && (!ind || !has(ind))) { const alt = app.meta.indicators.find(has); if (alt) s.indicator = alt.id; }
        if (r.level === "gemeente") { await app.setRegion(r.code, r.name); return; }
        if (r.gm_code && r.gm_code !== s.region) { s.region = r.gm_code; app.regionName = r.gm_code; }
        if (["wijk", "buurt", "pc4"].includes(r.level)) s.level = r.level;
        await app.update({ fit: true });
        if (r.bounds) app.map.fitBounds([[r.bounds[0], r.bounds[1]], [r.bounds[2], r.bounds[3]]], { padding: 80, maxZoom: 15, animate: false });
        Panels.openProfile(app, r.code);
      };
      input.addEventListener("input", () => {
        clearTimeout(timer);
        const q = input.value.trim();
        if (!q) { close(); return; }
        timer = setTimeout(async () => {
          const res = await app.api("/api/search", { q, prefer: app.state.version }).catch(() => ({ results: [] }));
          items = res.results;
          list.innerHTML = items.length ? items.map((r, i) => `<li role="option" tabindex="-1" data-i="${i}">${r.match ? esc(r.match) + " → " : ""}${esc(r.name)}${r.share ? ` (${Math.round(r.share * 100)} %)` : ""} <span class="muted">${esc(t("level_" + r.level))} ${esc(r.code)} · ${esc(r.geo_version)}</span></li>`).join("")
                                        : `<li class="muted">${esc(t("no_results"))}</li>`;
          list.hidden = false;
          list.querySelectorAll("[data-i]").forEach((li) => {
            li.addEventListener("click", () => choose(items[+li.dataset.i]));
            li.addEventListener("keydown", (e) => {
              if (e.key === "Enter") choose(items[+li.dataset.i]);
              if (e.key === "ArrowDown" && li.nextElementSibling) li.nextElementSibling.focus();
              if (e.key === "ArrowUp") (li.previousElementSibling || input).focus();
            });
          });
        }, 200);
      });
      input.addEventListener("keydown", (e) => {
        const first = list.querySelector("[data-i]");
        if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
        if (e.key === "Enter" && items.length) { e.preventDefault(); choose(items[0]); }
        if (e.key === "Escape") close();
      });
    },
  };

  // ------------------------------------------------------------------ exports
  function download(href, name) {
    const a = document.createElement("a"); a.href = href; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  }
  const Exports = {
    links(app) {
      const q = new URLSearchParams(Object.entries(app.viewParams()).filter(([, v]) => v !== null && v !== ""));
      $("export-csv").href = "/api/export.csv?" + q; $("export-geojson").href = "/api/export.geojson?" + q;
      $("export-xls").href = "/api/export.csv?" + q + "&excel=true";
    },
    // map + title + legend on one canvas (system fonts only)
    composite(app) {
      const src = app.map.getCanvas(), view = app.view, pad = 16, legendW = 260;
      const c = document.createElement("canvas");
      c.width = src.width + legendW + pad * 3; c.height = Math.max(src.height, 360) + 60 + pad;
      const g = c.getContext("2d");
      g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = "#111"; g.font = "bold 20px sans-serif"; g.fillText(view.title, pad, 32);
      g.drawImage(src, pad, 48);
      let y = 70; const x = src.width + pad * 2;
      g.font = "13px sans-serif";
      if (view.unit) { g.fillText(t("unit") + ": " + view.unit, x, y); y += 22; }
      for (const e of view.legend || []) {
        g.fillStyle = e.color; g.fillRect(x, y - 11, 18, 13); g.strokeStyle = "#777"; g.strokeRect(x, y - 11, 18, 13);
        g.fillStyle = "#111"; g.fillText(Legend.entryText(app, view, e), x + 26, y); y += 20;
      }
      const stripes = document.createElement("canvas"); stripes.width = stripes.height = 6;
      const sg = stripes.getContext("2d"); sg.fillStyle = "#eeeeee"; sg.fillRect(0, 0, 6, 6);
      sg.strokeStyle = "#969696"; sg.lineWidth = 1.5; sg.beginPath(); sg.moveTo(0, 6); sg.lineTo(6, 0); sg.stroke();
      const dots = document.createElement("canvas"); dots.width = dots.height = 4;
      const dg = dots.getContext("2d"); dg.fillStyle = "#ffffff"; dg.fillRect(0, 0, 4, 4);
      dg.fillStyle = "#8c8c8c"; dg.fillRect(1, 1, 1.5, 1.5);
      const counts = view.counts || {};
      for (const k of ["suppressed", "missing"]) {
        if (!counts[k]) continue;
        g.fillStyle = g.createPattern(k === "missing" ? dots : stripes, "repeat"); g.fillRect(x, y - 11, 18, 13);
        g.fillStyle = "#111"; g.fillText(t(k), x + 26, y); y += 20;
      }
      g.font = "11px sans-serif"; g.fillStyle = "#444";
      g.fillText(t("source") + ": " + (view.sources || []).join("; "), pad, c.height - 12);
      return c;
    },
    png(app) {
      const name = `veerkracht_${app.state.indicator}_${app.state.year}.png`;
      download(Exports.composite(app).toDataURL("image/png"), name);
    },
    async pdf(app) {
      app.setStatus(t("pdf_busy"));
      const body = { ...app.viewParams(), image: app.map.getCanvas().toDataURL("image/png") };
      Object.keys(body).forEach((k) => (body[k] === null || body[k] === undefined) && delete body[k]);
      const r = await fetch("/api/print", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (!r.ok) { app.setStatus(t("error") + ": " + ((await r.json().catch(() => ({}))).error || r.status), true); return; }
      const url = URL.createObjectURL(await r.blob());
      download(url, `veerkracht_${app.state.indicator}_${app.state.year}.pdf`);
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      app.setStatus("");
    },
  };

  window.Legend = Legend; window.Panels = Panels; window.Search = Search; window.Exports = Exports;
})();
