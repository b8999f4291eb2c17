/* The social map: state ↔ URL, controls, MapLibre layers, legend, search and exports.
   Everything is fetched from this app's own /api; the style has no glyphs, sprites or tiles. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const KEYS = { v: "version", l: "level", i: "indicator", m: "mode", y: "year", y0: "year_from",
                 ref: "ref", r: "region", sel: "sel", p: "profile", lang: "lang" };
  const state = { version: null, level: null, indicator: null, mode: "value", year: null, year_from: null,
                  ref: "gemeente", region: null, sel: [], profile: null, lang: "nl" };
  const app = { state, meta: null, map: null, view: null, geomKey: null, zoomBucket: null, codes: [],
                renderCount: 0, timings: {} };
  const mark = (k) => { if (!(k in app.timings)) app.timings[k] = Math.round(performance.now()); };
  window.APP = app;

  // ------------------------------------------------------------------ URL state
  function readUrl() {
    const q = new URLSearchParams(location.search);
    for (const [k, name] of Object.entries(KEYS)) {
      if (!q.has(k)) continue;
      const v = q.get(k);
      if (name === "sel") state.sel = v ? v.split(",").filter(Boolean) : [];
      else if (name === "year" || name === "year_from") state[name] = parseInt(v, 10) || null;
      else state[name] = v || null;
    }
    if (state.lang !== "en") state.lang = "nl";
  }
  function writeUrl() {
    const q = new URLSearchParams();
    for (const [k, name] of Object.entries(KEYS)) {
      const v = name === "sel" ? state.sel.join(",") : state[name];
      if (v !== null && v !== undefined && v !== "" && !(name === "lang" && v === "nl")
          && !(name === "mode" && v === "value") && !(name === "ref" && v === "gemeente")) q.set(k, v);
    }
    history.replaceState(null, "", "?" + q.toString());
  }
  app.writeUrl = writeUrl;

  // ------------------------------------------------------------------ helpers
  app.fmt = function (x, digits) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    // the indicator's own decimals (API field `decimals`), fixed, so 21,0 % and 20,6 % line up;
    // without them: 1 decimal, none from 100 on, 2 below 1 (−0,04 must not read "−0")
    const fixed = digits !== undefined && digits !== null;
    const d = fixed ? digits : (Math.abs(x) >= 100 ? 0 : (Math.abs(x) < 1 ? 2 : 1));
    return new Intl.NumberFormat(state.lang === "en" ? "en-GB" : "nl-NL",
                                 { maximumFractionDigits: d, minimumFractionDigits: fixed ? d : 0 }).format(x);
  };
  // requests started before the map is ready are kept here and used once
  const early = new Map();
  // index.html starts the default view's requests before this script and MapLibre are parsed
  for (const [url, p] of (window.EARLY || new Map())) early.set(url, p);
  function get(url) {
    if (early.has(url)) { const p = early.get(url); early.delete(url); return p; }
    return fetch(url);
  }
  function prefetch(url) { if (!early.has(url)) early.set(url, fetch(url).then((r) => r, (e) => { throw e; })); }
  const query = (params) => params ? "?" + new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")) : "";
  app.api = async function (path, params) {
    const r = (await get(path + query(params))).clone();
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  };
  const indMeta = () => app.meta.indicators.find((i) => i.id === state.indicator);
  const label = (o) => (state.lang === "en" ? o.label_en : o.label_nl);
  function setStatus(msg, isError) {
    $("status").textContent = msg || "";
    $("status").className = "status" + (isError ? " error" : "") + (msg ? " shown" : "");
  }
  app.setStatus = setStatus;
  function viewParams() {
    return { version: state.version, level: state.level, indicator: state.indicator, mode: state.mode,
             year: state.year, year_from: state.mode === "change" ? state.year_from : null,
             region: state.region, ref: state.ref, lang: state.lang };
  }
  app.viewParams = viewParams;

  // ------------------------------------------------------------------ controls
  function option(sel, value, text) {
    const o = document.createElement("option"); o.value = value; o.textContent = text; sel.appendChild(o);
  }
  function fillControls() {
    const ind = indMeta();
    const ids = { indicator: $("indicator"), version: $("version"), level: $("level"), year: $("year"), year_from: $("year-from") };
    Object.values(ids).forEach((s) => (s.innerHTML = ""));
    app.meta.indicators.filter((i) => drawableVersions(i).length)
      .forEach((i) => option(ids.indicator, i.id, label(i) + (i.unit ? ` (${i.unit})` : "")));
    // "cbs2023 — 342 gemeenten": says which version is the map of the Netherlands
    // only versions the map can draw for this indicator: no choice leads to an empty map
    drawableVersions(ind).forEach((v) => {
      const vm = app.meta.versions.find((x) => x.id === v);
      const order = app.meta.levels;   // coarse → fine: name the finest drawable level
      const parts = vm.levels.filter((l) => l.geometry && (ind.available[v] || {})[l.level])
        .sort((a, b) => order.indexOf(b.level) - order.indexOf(a.level));
      option(ids.version, v, `${v} — ${parts[0].n_areas} ${t("levels_" + parts[0].level)}`);
    });
    const geomLevels = new Set(app.meta.versions.find((v) => v.id === state.version).levels
                                 .filter((l) => l.geometry).map((l) => l.level));
    app.meta.levels.filter((l) => (ind.available[state.version] || {})[l] && geomLevels.has(l))
      .forEach((l) => option(ids.level, l, t("level_" + l)));
    const years = ((ind.available[state.version] || {})[state.level]) || [];
    // a change runs from an earlier year to a later one: each list offers only the years that can be its end
    const change = state.mode === "change";
    years.slice().reverse().filter((y) => !change || y > years[0]).forEach((y) => option(ids.year, y, y));
    years.filter((y) => !change || y < state.year).forEach((y) => option(ids.year_from, y, y));
    sliderYears();
    ids.indicator.value = state.indicator; ids.version.value = state.version; ids.level.value = state.level;
    ids.year.value = state.year; ids.year_from.value = state.year_from;
    const modeSel = $("mode");
    modeSel.textContent = "";
    app.meta.modes.forEach((m) => option(modeSel, m.id, state.lang === "en" ? m.label_en : m.label_nl));
    modeSel.value = state.mode; $("ref").value = state.ref;
    $("from-row").hidden = state.mode !== "change";
    $("ref-row").hidden = !(modeOf(state.mode).refs || []).length;
    $("year").previousElementSibling.textContent = state.mode === "change" ? t("year") + " (→)" : t("year");
  }
  // ------------------------------------------------------------------ year slider with play
  // the years the slider steps through: those of the indicator here (in a change, those after "from")
  function yearsNow() {
    const ind = indMeta(), years = ((ind.available[state.version] || {})[state.level]) || [];
    return state.mode === "change" ? years.filter((y) => y > state.year_from) : years;
  }
  function sliderYears() {
    const ys = yearsNow(), r = $("year-range");
    $("year-slider").hidden = ys.length < 2;
    r.max = String(Math.max(ys.length - 1, 0)); r.value = String(Math.max(ys.indexOf(state.year), 0));
    r.setAttribute("aria-valuetext", String(state.year));
    $("year-min").textContent = ys.length ? ys[0] : ""; $("year-max").textContent = ys.length ? ys[ys.length - 1] : "";
    const play = $("year-play");
    play.textContent = app.playing ? "⏸" : "▶";
    play.setAttribute("aria-pressed", String(!!app.playing));
    play.setAttribute("aria-label", t(app.playing ? "pause" : "play")); play.title = t(app.playing ? "pause" : "play");
  }
  function stopPlay() { app.playing = false; clearTimeout(app.playTimer); sliderYears(); }
  // one year on, after the previous year is drawn; stops at the last year
  async function playStep() {
    if (!app.playing) return;
    const ys = yearsNow(), i = ys.indexOf(state.year);
    if (i < 0 || i >= ys.length - 1) { stopPlay(); return; }
    state.year = ys[i + 1];
    await update();
    if (app.playing) app.playTimer = setTimeout(playStep, app.playDelay);
  }
  app.playDelay = 1200;
  function bindSlider() {
    let timer = null;
    $("year-range").addEventListener("input", (e) => {
      state.year = yearsNow()[parseInt(e.target.value, 10)];
      stopPlay();
      $("year").value = state.year; e.target.setAttribute("aria-valuetext", String(state.year));
      clearTimeout(timer); timer = setTimeout(update, 120);       // dragging: draw the year it rests on
    });
    $("year-play").addEventListener("click", () => {
      if (app.playing) { stopPlay(); return; }
      const ys = yearsNow();
      app.playing = true;
      if (ys.indexOf(state.year) >= ys.length - 1) { state.year = ys[0]; update().then(() => { app.playTimer = setTimeout(playStep, app.playDelay); }); }
      else playStep();
      sliderYears();
    });
  }

  // the mode's description from /api/meta (the analysis registry)
  function modeOf(id) { return app.meta.modes.find((m) => m.id === id) || app.meta.modes[0]; }
  // versions holding the indicator at a level the map can draw (areas with geometry)
  function drawableVersions(ind) {
    return Object.keys(ind.available).sort().filter((v) => {
      const vm = app.meta.versions.find((x) => x.id === v);
      return vm && vm.levels.some((l) => l.geometry && (ind.available[v] || {})[l.level]);
    });
  }
  // make the state consistent with what the store holds (after URL input or a change)
  function normalise() {
    // indicators the map can draw somewhere; the others are not offered
    const inds = app.meta.indicators.filter((i) => drawableVersions(i).length);
    if (!inds.some((i) => i.id === state.indicator)) state.indicator = app.meta.default.indicator || inds[0].id;
    const ind = indMeta();
    const versions = drawableVersions(ind);
    if (!versions.includes(state.version)) state.version = versions.includes(app.meta.default.version) ? app.meta.default.version : versions[0];
    const vmeta = app.meta.versions.find((v) => v.id === state.version);
    const drawable = app.meta.levels.filter((l) => (ind.available[state.version] || {})[l]
      && vmeta.levels.some((x) => x.level === l && x.geometry));
    if (!drawable.includes(state.level)) state.level = drawable.includes(app.meta.default.level) ? app.meta.default.level : (drawable[drawable.length - 1] || null);
    const years = (ind.available[state.version] || {})[state.level] || [];
    if (!years.includes(state.year)) state.year = years[years.length - 1] || null;
    if (!years.includes(state.year_from) || state.year_from >= state.year) state.year_from = years[0] || null;
    if (!app.meta.modes.some((m) => m.id === state.mode)) state.mode = "value";
    if (state.ref !== "country") state.ref = "gemeente";
  }

  function bindControls() {
    // a choice of the user ends an automatic level switch (item: typology only per wijk)
    const on = (id, fn) => $(id).addEventListener("change", (e) => { app.autoLevel = null; stopPlay(); fn(e.target.value); update(); });
    bindSlider();
    on("indicator", (v) => (state.indicator = v));
    on("mode", (v) => (state.mode = v));
    on("year", (v) => (state.year = parseInt(v, 10)));
    on("year-from", (v) => (state.year_from = parseInt(v, 10)));
    on("ref", (v) => (state.ref = v));
    on("level", (v) => (state.level = v));
    on("version", (v) => { state.version = v; state.region = null; state.sel = []; });
    // phone: the settings fold away over the map; a choice folds them again so the map is seen
    $("controls-toggle").addEventListener("click", () => {
      const open = !$("controls").classList.contains("open");
      $("controls").classList.toggle("open", open); $("controls-toggle").setAttribute("aria-expanded", String(open));
    });
    $("region-clear").addEventListener("click", () => { state.region = null; update(); });
    $("lang-toggle").addEventListener("click", () => { state.lang = state.lang === "nl" ? "en" : "nl"; update(); });
    $("export-png").addEventListener("click", () => window.Exports.png(app));
    $("export-pdf").addEventListener("click", () => window.Exports.pdf(app));
    $("panel-close").addEventListener("click", () => { state.profile = null; $("panel").hidden = true; app.map.resize(); writeUrl(); });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("panel").hidden) $("panel-close").click(); });
    window.Search.bind(app);
  }

  function translate() {
    document.documentElement.lang = state.lang;
    document.title = t("title") + " — veerkracht";
    document.querySelectorAll("[data-i18n]").forEach((el) => (el.textContent = t(el.dataset.i18n)));
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => (el.placeholder = t(el.dataset.i18nPlaceholder)));
    document.querySelectorAll("[data-i18n-aria]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nAria)));
    $("lang-toggle").textContent = t("lang_toggle");
    $("lang-toggle").setAttribute("aria-label", t("lang_toggle_aria"));
  }

  // ------------------------------------------------------------------ map
  function hatch(stripe, bg, width) {
    const n = 8, w = width || 2, data = new Uint8Array(n * n * 4);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const on = (x + y) % n < w, c = on ? stripe : bg, o = (y * n + x) * 4;
      data.set(c, o);
    }
    return { width: n, height: n, data };
  }
  function createMap() {
    // a basemap only when the user asked for one (`veerkracht serve --basemap`): window.BASEMAP
    const bm = window.BASEMAP || null;
    let style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] };
    if (bm && bm.kind === "raster") {
      style.sources.basemap = { type: "raster", tiles: bm.tiles, tileSize: 256, maxzoom: bm.max_zoom || 19, attribution: bm.attribution };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    } else if (bm && bm.kind === "style") style = bm.url;      // the areas are drawn on top of the named style
    app.basemap = bm;
    const map = new maplibregl.Map({
      container: "map", attributionControl: bm ? { compact: true } : false, center: [5.3, 52.2], zoom: 6.5, maxZoom: 16,
      canvasContextAttributes: { preserveDrawingBuffer: true }, style,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    map.on("load", () => {
      map.addImage("hatch-suppressed", hatch([150, 150, 150, 255], [238, 238, 238, 255]));
      // no data: grey dots on white, unlike any class colour (the pale bivariate "low, falling" too)
      const dots = new Uint8Array(8 * 8 * 4).fill(255);
      for (const [x, y] of [[1, 1], [2, 1], [1, 2], [2, 2], [5, 5], [6, 5], [5, 6], [6, 6]]) dots.set([140, 140, 140, 255], (y * 8 + x) * 4);
      map.addImage("dots-missing", { width: 8, height: 8, data: dots });
      // fine and translucent: the class colour under it stays readable
      const empty = { type: "FeatureCollection", features: [] };
      for (const s of ["areas", "wijk", "gemeente"]) map.addSource(s, { type: "geojson", data: empty, promoteId: "code" });
      const st = (k, d) => ["coalesce", ["feature-state", k], d];
      map.addLayer({ id: "areas-fill", type: "fill", source: "areas",
        paint: { "fill-color": ["to-color", st("color", "#d9d9d9")], "fill-opacity": bm ? 0.72 : 1 } });   // the basemap shows through
      map.addLayer({ id: "areas-missing", type: "fill", source: "areas",
        paint: { "fill-pattern": "dots-missing", "fill-opacity": ["case", ["==", st("status", ""), "missing"], 1, 0] } });
      map.addLayer({ id: "areas-suppressed", type: "fill", source: "areas",
        paint: { "fill-pattern": "hatch-suppressed", "fill-opacity": ["case", ["==", st("status", ""), "suppressed"], 1, 0] } });
      // uncertain values are faded (a white veil over their colour); only suppressed areas are hatched
      map.addLayer({ id: "areas-unreliable", type: "fill", source: "areas",
        paint: { "fill-color": "#ffffff", "fill-opacity": ["case", ["==", st("status", ""), "unreliable"], 0.55, 0] } });
      map.addLayer({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": "#ffffff", "line-width": 0.5, "line-opacity": 0.8 } });
      map.addLayer({ id: "wijk-line", type: "line", source: "wijk", paint: { "line-color": "#555", "line-width": 1 } });
      map.addLayer({ id: "gemeente-line", type: "line", source: "gemeente", paint: { "line-color": "#111", "line-width": 2 } });
      map.addLayer({ id: "areas-selected", type: "line", source: "areas",
        paint: { "line-color": "#000", "line-width": ["case", ["boolean", st("selected", false), false], 3, 0] } });
      window.Labels.bind(app);
      app.loaded = true; mark("map_load");
      start();
    });
    map.on("click", "areas-fill", (e) => {
      const f = e.features && e.features[0];
      if (!f) return;
      const code = f.properties.code;
      if (e.originalEvent.ctrlKey || e.originalEvent.metaKey) window.Panels.ctrlSelect(app, code);
      else window.Panels.openProfile(app, code);
    });
    map.on("mousemove", "areas-fill", (e) => {
      map.getCanvas().style.cursor = "pointer";
      const f = e.features[0], v = app.view && app.view.areas[f.properties.code];
      map.getCanvas().title = f.properties.name + (v ? ": " + window.Legend.valueText(app, v) : "");
    });
    map.on("mouseleave", "areas-fill", () => (map.getCanvas().style.cursor = ""));
    map.on("moveend", () => {
      const b = bucket(map.getZoom());
      if (app.zoomBucket !== null && b > app.zoomBucket) loadGeometry(false);
    });
    map.on("idle", () => {
      if (!app.pendingRender) return;
      app.pendingRender = false; app.renderCount += 1; mark("first_idle");
      window.renderCount = app.renderCount; window.mapReady = true;
      document.body.dataset.mapReady = "true"; document.body.dataset.renderCount = String(app.renderCount);
    });
    app.map = map;
  }
  const BUCKETS = [6, 8, 10, 12, 14];
  const EMPTY = { type: "FeatureCollection", features: [] };
  const bucket = (z) => BUCKETS.find((b) => z <= b) || 14;

  function bbox(fc) {
    let b = [180, 90, -180, -90];
    const walk = (c) => { if (typeof c[0] === "number") { b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])]; } else c.forEach(walk); };
    fc.features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
    return b;
  }
  const geoUrl = (level, zoom) => {
    const q = new URLSearchParams({ zoom: String(zoom) });
    if (state.region) q.set("region", state.region);
    return `/api/geometry/${encodeURIComponent(state.version)}/${encodeURIComponent(level)}?${q}`;
  };
  const fitZoom = () => (state.region ? 12 : (state.level === "buurt" ? 10 : 8));
  async function fetchGeo(level, zoom) {
    const r = (await get(geoUrl(level, zoom))).clone();
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || t("no_geometry"));
    return r.json();
  }
  // the coarser levels drawn as outlines for orientation (only those the version can draw)
  function outlineLevels() {
    const vm = app.meta.versions.find((v) => v.id === state.version).levels;
    return ["wijk", "gemeente"].filter((lv) => vm.some((l) => l.level === lv && l.geometry) && state.level !== lv
      && (lv === "gemeente" || state.level === "buurt"));
  }
  async function loadGeometry(fit) {
    const key = [state.version, state.level, state.region || ""].join("|");
    const z = fit ? fitZoom() : bucket(app.map.getZoom());
    if (key === app.geomKey && z <= app.zoomBucket) return false;
    const outline = async (lv) => (outlineLevels().includes(lv) ? fetchGeo(lv, z).catch(() => EMPTY) : EMPTY);
    const [fc, wk, gm] = await Promise.all([fetchGeo(state.level, z), outline("wijk"), outline("gemeente")]);
    app.map.getSource("areas").setData(fc);
    app.map.getSource("wijk").setData(wk);
    app.map.getSource("gemeente").setData(gm);
    app.codes = fc.features.map((f) => f.properties.code);
    app.names = new Map(fc.features.map((f) => [f.properties.code, f.properties.name]));
    app.geomKey = key; app.zoomBucket = bucket(z);
    if (fit && fc.features.length) app.fitBox = bbox(fc);
    return true;
  }
  // fit the areas into the part of the map the legend leaves free: beside it or above it,
  // whichever shows them larger (called once the legend has its final size)
  function fitMap() {
    const b = app.fitBox;
    if (!b) return;
    app.fitBox = null;
    const map = app.map, lg = $("legend"), bounds = [[b[0], b[1]], [b[2], b[3]]], pad = 24;
    const base = { top: pad, right: pad + 40, bottom: pad, left: pad };   // 40: zoom buttons
    const cands = [base];
    if (lg.offsetWidth) {
      cands.push({ ...base, left: lg.offsetLeft + lg.offsetWidth + 12 });
      cands.push({ ...base, bottom: map.getContainer().clientHeight - lg.offsetTop + 12 });
    }
    const zoomOf = (padding) => { const c = map.cameraForBounds(bounds, { padding }); return c ? c.zoom : -Infinity; };
    const best = cands.slice(1).reduce((a, c) => (zoomOf(c) > zoomOf(a) ? c : a), cands[cands.length > 1 ? 1 : 0]);
    map.fitBounds(bounds, { padding: best, animate: false });
  }
  app.fitMap = fitMap;

  function applyView(view) {
    app.view = view;
    const map = app.map;
    for (const code of app.codes) {
      const a = view.areas[code];
      const status = a ? a[2] : "missing";
      map.setFeatureState({ source: "areas", id: code },
        { color: window.Legend.colorOf(view, a), status, selected: state.sel.includes(code) || state.profile === code });
    }
    window.Legend.render(app, view);
  }

  // ------------------------------------------------------------------ update cycle
  let seq = 0;
  async function update(opts) {
    const my = ++seq;
    normalise(); translate(); fillControls(); writeUrl();
    window.Panels.renderSelection(app);
    $("region-name").textContent = state.region ? (app.regionName || state.region) : t("whole");
    $("region-clear").hidden = !state.region;
    setStatus(t("loading"));
    try {
      const geomKey = [state.version, state.level, state.region || ""].join("|");
      const [, view] = await Promise.all([loadGeometry(geomKey !== app.geomKey || (opts && opts.fit)),
                                          app.api("/api/values", viewParams())]);
      if (my !== seq) return;
      // an analysis whose inputs exist only at another level (e.g. wijk): go there instead of an empty map
      if (!view.available && view.switch_level && modeOf(state.mode).analysis && view.switch_level !== state.level) {
        app.autoLevel = { from: state.level, to: view.switch_level };
        state.level = view.switch_level;
        return update({ ...(opts || {}), fit: true });
      }
      if (app.autoLevel && (!modeOf(state.mode).analysis || state.level !== app.autoLevel.to)) app.autoLevel = null;
      app.pendingRender = true; mark("data");
      // the profile panel takes its width before the fit, so the areas are fitted in the space left
      if (state.profile && $("panel").hidden && app.fitBox) { $("panel").hidden = false; app.map.resize(); }
      applyView(view); fitMap(); mark("applied");
      window.Labels.load(app).then(() => window.Labels.place(app));
      app.map.triggerRepaint();
      setStatus(view.available ? "" : `${t("not_available")}: ${view.message}`, !view.available);
      window.Exports.links(app);
      if (state.profile) window.Panels.openProfile(app, state.profile, true);
      else if (state.sel.length >= 2 && opts && opts.compare) window.Panels.openCompare(app);
    } catch (err) {
      if (my !== seq) return;
      app.pendingRender = true; fitMap(); app.map.triggerRepaint();
      setStatus(`${t("error")}: ${err.message}`, true);
    }
  }
  app.update = update;
  app.setRegion = async function (code, name) { state.region = code; app.regionName = name; await update({ fit: true }); };

  // meta, outlines and values are fetched while MapLibre starts WebGL
  async function boot() {
    app.meta = (window.BOOT && window.BOOT.meta) || await app.api("/api/meta"); mark("meta");
    if (!app.meta.indicators.length) return;
    const d = app.meta.default;
    if (location.search.length <= 1) Object.assign(state, { version: d.version, level: d.level, indicator: d.indicator, year: d.year, region: d.region || null });
    normalise();
    for (const lv of [state.level, ...outlineLevels()]) prefetch(geoUrl(lv, fitZoom()));
    prefetch("/api/values" + query(viewParams()));
  }
  let booted = null;

  async function start() {
    try {
      await booted;
    } catch (err) { setStatus(`${t("error")}: ${err.message}`, true); return; }
    if (!app.meta.indicators.length) { setStatus(t("no_results"), true); window.mapReady = true; return; }
    const d = app.meta.default;
    if (state.region) {
      if (state.region === d.region) app.regionName = d.region_name;
      else {
        const hit = await app.api("/api/search", { q: state.region, version: state.version }).catch(() => null);
        const r = hit && hit.results.find((x) => x.code === state.region);
        app.regionName = r ? r.name : state.region;
      }
    }
    await update({ fit: true, compare: true });
  }

  readUrl();
  booted = boot();
  translate();
  bindControls();
  createMap();
})();
