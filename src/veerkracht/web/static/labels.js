/* Area names on the map, as an HTML overlay: no glyphs are fetched, the browser's own fonts draw them.
   Largest area first, a name is placed when it fits its area at the current zoom (the room around its
   label point, from /api/labels) and overlaps no name placed before it, nor the legend or the controls. */
(function () {
  "use strict";
  const FONT = "600 12px system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Roboto, sans-serif";
  const H = 15, PAD = 3, MAX = 160;
  let measure = null;
  const width = (s) => {
    if (!measure) { measure = document.createElement("canvas").getContext("2d"); measure.font = FONT; }
    return Math.ceil(measure.measureText(s).width);
  };
  const overlaps = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  const Labels = {
    items: [], key: null, placed: [], frame: 0,
    async load(app) {
      const s = app.state, key = [s.version, s.level, s.region || ""].join("|");
      if (key === Labels.key) return;
      Labels.key = key; Labels.items = [];
      const q = s.region ? "?region=" + encodeURIComponent(s.region) : "";
      try {
        const r = await fetch(`/api/labels/${encodeURIComponent(s.version)}/${encodeURIComponent(s.level)}${q}`);
        if (!r.ok || Labels.key !== key) return;
        Labels.items = (await r.json()).labels.map((l) => ({ ...l, w: width(l.name) }));
      } catch (e) { Labels.items = []; }
      Labels.place(app);
    },
    // rectangles (in map pixels) that names must leave free: the legend and the map's own controls
    blocked(app) {
      const box = app.map.getContainer().getBoundingClientRect();
      const els = [document.getElementById("legend"), ...document.querySelectorAll(".maplibregl-ctrl")];
      return els.filter((el) => el && el.offsetWidth).map((el) => {
        const r = el.getBoundingClientRect();
        return [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top];
      });
    },
    place(app) {
      const el = document.getElementById("labels");
      if (!el || !app.map) return;
      const map = app.map, W = map.getContainer().clientWidth, Hc = map.getContainer().clientHeight;
      const z = map.getZoom(), taken = Labels.blocked(app), placed = [];
      let html = "";
      for (const l of Labels.items) {
        if (placed.length >= MAX) break;
        // metres per CSS pixel at this latitude (MapLibre's tiles are 512 px)
        const mpp = 40075016.686 * Math.cos((l.lat * Math.PI) / 180) / (512 * Math.pow(2, z));
        const room = l.room / mpp;
        if (room * 2.6 < l.w || room < 7) continue;          // the name would stick far out of its area
        const p = map.project([l.lon, l.lat]);
        const b = [p.x - l.w / 2 - PAD, p.y - H / 2, p.x + l.w / 2 + PAD, p.y + H / 2];
        if (b[0] < 0 || b[1] < 0 || b[2] > W || b[3] > Hc) continue;
        if (taken.some((t) => overlaps(t, b))) continue;
        taken.push(b); placed.push({ code: l.code, name: l.name, box: b });
        html += `<span class="map-label" data-code="${esc(l.code)}" style="left:${Math.round(b[0] + PAD)}px;top:${Math.round(b[1])}px">${esc(l.name)}</span>`;
      }
      el.innerHTML = html;
      Labels.placed = placed;
    },
    // on every camera move, at most once per frame
    bind(app) {
      const later = () => { if (!Labels.frame) Labels.frame = requestAnimationFrame(() => { Labels.frame = 0; Labels.place(app); }); };
      app.map.on("move", later); app.map.on("resize", later);
      app.map.on("moveend", () => Labels.place(app));
    },
  };
  window.Labels = Labels;
})();
