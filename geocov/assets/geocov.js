/* geocov map runtime (part of geocov, MIT). Builds the coverage layers from data that
 * geocov.maps embeds in the page. Every name or attribute from the data is put into the
 * page with textContent (never innerHTML), so names are text, never markup.
 *
 * Words and number marks come from geocov's catalogue (geocov/locale/*.toml) through the
 * info panel's payload (G.i18n); nothing here is English but the fallbacks. */
(function () {
  "use strict";
  var G = (window.geocov = window.geocov || {});
  G.maps = G.maps || [];
  G.legends = G.legends || [];
  G.i18n = G.i18n || {
    lang: "en", words: {},
    numbers: { decimal: ".", group: ",", percent: "{}%", na: "n/a" },
  };
  /* the printable view (geocov.maps.save_png/save_pdf with paper=): set before the page runs */
  G.print = window.GEOCOV_PRINT || null;

  G.fold = function (s) {
    return String(s == null ? "" : s)
      .replace(/đ/g, "d").replace(/Đ/g, "D")
      .normalize("NFKD").replace(/\p{M}/gu, "")
      .replace(/[^\p{L}\p{N}]+/gu, "").toLowerCase();
  };
  G.el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  /* the words of `key` in the page's language, {fields} filled in */
  function t(key, fields) {
    var w = G.i18n.words[key];
    if (w === undefined || w === null) w = key;
    return String(w).replace(/\{(\w+)\}/g, function (m, k) {
      return fields && Object.prototype.hasOwnProperty.call(fields, k) ? String(fields[k]) : m;
    });
  }
  G.t = t;
  /* a number with `digits` decimals and the language's marks (1,569.5 / 1.569,5) */
  function fmt(n, digits) {
    var sym = G.i18n.numbers;
    if (n === null || n === undefined || !isFinite(n)) return sym.na;
    var d = digits || 0, x = Number(n);
    var fixed = Math.abs(x).toFixed(d).split(".");
    var whole = fixed[0].replace(/\B(?=(\d{3})+(?!\d))/g, sym.group);
    var neg = x < 0 && Number(fixed.join(".")) !== 0 ? "-" : "";
    return neg + whole + (fixed.length > 1 ? sym.decimal + fixed[1] : "");
  }
  G.fmt = fmt;
  G.fmtPct = function (p, digits) {
    if (p === null || p === undefined || !isFinite(p)) return G.i18n.numbers.na;
    return G.i18n.numbers.percent.replace("{}", fmt(p, digits === undefined ? 1 : digits));
  };
  /* "4G: 37/41 villages, 90.2%" — never a bare percentage */
  G.ratio = function (label, num, den, noun, digits) {
    if (den === null || den === undefined || !isFinite(den) || den <= 0)
      return t("no_data_for", { label: label, noun: noun });
    return t("ratio", { label: label, num: fmt(num, digits), den: fmt(den, digits), noun: noun,
      pct: G.fmtPct((100 * num) / den) });
  };
  G.pct = function (num, den) {
    if (den === null || den === undefined || !isFinite(den) || den <= 0) return null;
    if (num === null || num === undefined || !isFinite(num)) return null;
    return (100 * num) / den;
  };
  G.classOf = function (pct, classes) {
    if (pct === null) return null;
    for (var k = 0; k < classes.length; k++) {
      var c = classes[k];
      if ((pct >= c.lo && pct < c.hi) || (c.lo === c.hi && pct === c.lo)) return c;
    }
    return classes[classes.length - 1];
  };

  function control(position, build) {
    var C = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var div = G.el("div", "geocov-panel leaflet-bar");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        build(div);
        return div;
      },
    });
    return new C();
  }

  /* popups fit the screen: never wider or taller than the map (they scroll inside) */
  function popupOptions(map) {
    var size = map.getSize();
    return {
      maxWidth: Math.max(200, Math.min(360, size.x - 60)),
      maxHeight: Math.max(120, size.y - 140),
      autoPanPadding: L.point(16, 16),
      className: "geocov-popup",
    };
  }
  G.popupOptions = popupOptions;

  function metricLine(cfg, props, metric) {
    if (metric.classes) {  /* a class metric (the priority tier): the class's words */
      var c = G.classOf(valueOf(props, metric), metric.classes);
      return metric.short + ": " + (c ? c.label : metric.noData);
    }
    return G.ratio(metric.short, props[metric.num], props[metric.den], metric.noun, metric.digits);
  }
  function valueOf(props, metric) {
    var x = props[metric.num];
    return x === null || x === undefined || !isFinite(x) ? null : x;
  }

  function unitBox(cfg, props, all) {
    var box = G.el("div", "geocov-tip");
    box.appendChild(G.el("div", "geocov-tip-name", props.n));
    if (props.f) box.appendChild(G.el("div", "geocov-tip-path", props.f));
    var metrics = all ? cfg.metrics : cfg.tooltipMetrics.map(function (k) { return cfg.metricByKey[k]; });
    var current = cfg.metricByKey[cfg.state.metric];
    if (!all && metrics.indexOf(current) < 0) metrics = [current].concat(metrics);
    var group = null;
    metrics.forEach(function (m) {
      if (!m) return;
      if (all && m.group !== group) {
        group = m.group;
        box.appendChild(G.el("div", "geocov-tip-group", group));
      }
      var line = G.el("div", m === current ? "geocov-tip-line geocov-current" : "geocov-tip-line",
        metricLine(cfg, props, m));
      box.appendChild(line);
    });
    if (props.h) box.appendChild(G.el("div", "geocov-tip-flag", cfg.flagWord + ": " + props.r));
    return box;
  }

  /* ---------------------------------------------------------------- legend of symbols
   * Every point or line layer registers how it reads (a title and rows of symbols); the
   * legend lists those of the layers on the map, and says when a layer waits for a zoom. */
  function registerLegend(map, group, entry) {
    G.legends.push({ map: map, group: group, entry: entry });
    group.on("add remove", function () { redrawLegends(map); });
  }
  function redrawLegends(map) {
    for (var k = 0; k < G.maps.length; k++)
      if (G.maps[k].map === map && G.maps[k].drawLegend) G.maps[k].drawLegend();
  }
  function symbolRow(row) {
    var div = G.el("div", "geocov-legend-row geocov-legend-symbol");
    var sw = G.el("span", "geocov-symbol geocov-symbol-" + row.shape);
    if (row.shape === "line") {
      sw.style.borderTopColor = row.color;
      if (row.dash) sw.style.borderTopStyle = "dashed";
    } else {
      sw.style.background = row.shape === "ring" ? "#ffffff" : row.color;
      sw.style.borderColor = row.ring || (row.shape === "ring" ? row.color : "#ffffff");
    }
    div.appendChild(sw);
    div.appendChild(G.el("span", null, row.label));
    return div;
  }
  /* the entries of the layers shown, same titles merged (stations: one row per technology) */
  function pointLegend(map) {
    var out = [], byTitle = {};
    G.legends.forEach(function (it) {
      if (it.map !== map || !map.hasLayer(it.group)) return;
      var e = it.entry();
      if (!e) return;
      if (!byTitle[e.title]) {
        byTitle[e.title] = { title: e.title, rows: [], note: e.note };
        out.push(byTitle[e.title]);
      }
      byTitle[e.title].rows = byTitle[e.title].rows.concat(e.rows);
      if (e.note) byTitle[e.title].note = e.note;
    });
    return out;
  }
  G.pointLegend = pointLegend;

  /* ---------------------------------------------------------------- labels
   * Names of the units large enough on screen, largest first; a name that would overlap
   * one already placed is left out (boxes measured in the page, one layout pass). */
  function overlaps(a, b, pad) {
    return a.left < b.right + pad && b.left < a.right + pad &&
      a.top < b.bottom + pad && b.top < a.bottom + pad;
  }
  G.overlaps = overlaps;

  /* The choropleth of units, its outline of parent units, labels, legend, metric switcher,
   * search and the list of highlighted units. Returns a featureGroup (the units). */
  G.unitsLayer = function (map, cfg) {
    cfg.metricByKey = {};
    cfg.metrics.forEach(function (m) { cfg.metricByKey[m.key] = m; });
    cfg.state = { metric: cfg.metric };
    if (cfg.fit) {
      var pad = {};
      if (G.print) {  /* the sheet: the study area as large as fits beside title, legend, footer */
        map.options.zoomSnap = 0.05;
        pad = { paddingTopLeft: L.point(24, 100), paddingBottomRight: L.point(340, 90) };
      }
      map.fitBounds(cfg.fit, Object.assign({ animate: false }, pad));
      if (G.print) {  /* the sheet's final size may come after the first fit */
        map.on("resize", function () {
          map.fitBounds(cfg.fit, Object.assign({ animate: false }, pad));
        });
      }
    }
    var renderer = cfg.renderer === "svg" ? L.svg({ padding: 0.2 }) : L.canvas({ padding: 0.2, tolerance: 2 });
    var props = cfg.props, n = props.n.length;
    var rows = new Array(n);
    for (var i = 0; i < n; i++) {
      var p = {};
      for (var key in props) p[key] = props[key][i];
      rows[i] = p;
    }
    function colourOf(p) {
      var m = cfg.metricByKey[cfg.state.metric];
      var c = m.classes ? G.classOf(valueOf(p, m), m.classes)
        : G.classOf(G.pct(p[m.num], p[m.den]), cfg.classes);
      return c ? c.color : cfg.noDataColor;
    }
    function style(feature) {
      var p = rows[feature.properties.i];
      var s = Object.assign({}, cfg.style, { fillColor: colourOf(p) });
      return s;
    }
    var fc = { type: "FeatureCollection", features: cfg.geoms.map(function (g, k) {
      return { type: "Feature", geometry: g, properties: { i: k } };
    }) };
    var units = L.geoJSON(fc, {
      renderer: renderer,
      style: style,
      onEachFeature: function (feature, layer) {
        var p = rows[feature.properties.i];
        layer.geocovRow = p;
        layer.bindTooltip(function () { return unitBox(cfg, p, false); }, { sticky: true, className: "geocov-tooltip" });
        layer.bindPopup(function () { return unitBox(cfg, p, true); }, popupOptions(map));
        layer.on("mouseover", function () { layer.setStyle(cfg.hoverStyle); });
        layer.on("mouseout", function () { units.resetStyle(layer); });
      },
    });
    var state = { map: map, units: units, cfg: cfg, rows: rows };
    var group = L.featureGroup([units]);

    if (cfg.parentGeoms && cfg.parentGeoms.length) {
      var parents = L.geoJSON({ type: "FeatureCollection", features: cfg.parentGeoms.map(function (g) {
        return { type: "Feature", geometry: g, properties: {} };
      }) }, { renderer: renderer, interactive: false, style: cfg.parentStyle });
      group.addLayer(parents);
      state.parents = parents;
    }

    /* highlighted units: drawn again on top, a white halo under the outline so that it
     * stands out on every fill colour */
    var flagged = [];
    units.eachLayer(function (layer) { if (layer.geocovRow.h) flagged.push(layer); });
    flagged.sort(function (a, b) { return (b.geocovRow.u || 0) - (a.geocovRow.u || 0); });  /* u: rank order or people */
    var halo = L.featureGroup(flagged.map(function (layer) {
      return L.geoJSON(layer.feature, { renderer: renderer, interactive: false,
        style: function () { return cfg.haloStyle; } });
    }));
    var hl = L.featureGroup(flagged.map(function (layer) {
      var copy = L.geoJSON(layer.feature, { renderer: renderer, style: function () { return cfg.highlightStyle; } });
      copy.geocovRow = layer.geocovRow;
      copy.eachLayer(function (l) {
        l.geocovHighlight = true;
        l.bindTooltip(function () { return unitBox(cfg, layer.geocovRow, false); }, { sticky: true, className: "geocov-tooltip" });
        l.bindPopup(function () { return unitBox(cfg, layer.geocovRow, true); }, popupOptions(map));
      });
      return copy;
    }));
    state.highlight = hl;
    state.halo = halo;
    state.highlightGroup = L.featureGroup([halo, hl]);  /* the layer control's one entry */
    state.highlightGroup.on("add remove", function () { if (state.drawLegend) state.drawLegend(); });
    state.flagged = flagged;

    /* labels */
    var labels = L.layerGroup();
    state.labels = labels;
    var bounds = [];
    units.eachLayer(function (layer) { bounds.push([layer, layer.getBounds()]); });
    function updateLabels() {
      labels.clearLayers();
      if (!map.hasLayer(labels)) return;
      var view = map.getBounds(), zoom = map.getZoom(), cands = [];
      for (var k = 0; k < bounds.length; k++) {
        var b = bounds[k][1];
        if (!view.intersects(b)) continue;
        var nw = map.project(b.getNorthWest(), zoom), se = map.project(b.getSouthEast(), zoom);
        var w = se.x - nw.x;
        if (w < (G.print ? Math.min(cfg.labelMinPx, 36) : cfg.labelMinPx)) continue;
        cands.push([w * (se.y - nw.y), bounds[k][0].geocovRow]);
      }
      cands.sort(function (a, b) { return b[0] - a[0]; });  /* largest unit first */
      cands = cands.slice(0, 2 * cfg.maxLabels);
      var markers = cands.map(function (c) {
        var row = c[1];
        var mk = L.marker([row.ly, row.lx], {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "geocov-label-icon", html: G.el("span", "geocov-label", row.n), iconSize: null }),
        });
        labels.addLayer(mk);
        return mk;
      });
      /* measure every label once, then keep those that overlap none kept before */
      var boxes = markers.map(function (mk) {
        var el = mk.getElement() && mk.getElement().firstChild;
        return el ? el.getBoundingClientRect() : null;
      });
      var kept = [];
      markers.forEach(function (mk, k) {
        var box = boxes[k];
        var clash = !box || kept.length >= cfg.maxLabels || kept.some(function (o) { return overlaps(box, o, 2); });
        if (clash) labels.removeLayer(mk);
        else kept.push(box);
      });
    }
    state.updateLabels = updateLabels;
    labels.on("add", function () { setTimeout(updateLabels, 0); });
    map.on("moveend zoomend", updateLabels);
    map.whenReady(updateLabels);

    /* legend: the classes of the metric, no data, the highlight, then every symbol shown */
    var legendBody;
    function drawLegend() {
      if (!legendBody) return;
      legendBody.textContent = "";
      var m = cfg.metricByKey[cfg.state.metric];
      legendBody.appendChild(G.el("div", "geocov-legend-title", m.label));
      legendBody.appendChild(G.el("div", "geocov-legend-unit", m.unitNote));
      (m.classes || cfg.classes).forEach(function (c) {
        var row = G.el("div", "geocov-legend-row");
        var sw = G.el("span", "geocov-swatch");
        sw.style.background = c.color;
        row.appendChild(sw);
        row.appendChild(G.el("span", null, c.label));
        legendBody.appendChild(row);
      });
      var nd = G.el("div", "geocov-legend-row");
      var sw2 = G.el("span", "geocov-swatch");
      sw2.style.background = cfg.noDataColor;
      nd.appendChild(sw2);
      nd.appendChild(G.el("span", null, m.noData || t("no_data_legend", { noun: m.noun })));
      legendBody.appendChild(nd);
      if (flagged.length && map.hasLayer(state.highlightGroup)) {
        var hlr = G.el("div", "geocov-legend-row geocov-legend-hl");
        var sw3 = G.el("span", "geocov-swatch geocov-swatch-hl");
        sw3.style.borderColor = cfg.highlightStyle.color;
        sw3.style.outlineColor = cfg.haloStyle.color;
        sw3.style.background = cfg.classes[0].color;  /* shown on the hardest fill: 0% */
        hlr.appendChild(sw3);
        hlr.appendChild(G.el("span", null, cfg.highlightLabel));
        legendBody.appendChild(hlr);
      }
      pointLegend(map).forEach(function (e) {
        var sec = G.el("div", "geocov-legend-section");
        sec.appendChild(G.el("div", "geocov-legend-subtitle", e.title));
        if (e.note) sec.appendChild(G.el("div", "geocov-legend-unit", e.note));
        e.rows.forEach(function (r) { sec.appendChild(symbolRow(r)); });
        legendBody.appendChild(sec);
      });
    }
    state.drawLegend = drawLegend;
    control("bottomright", function (div) {
      div.classList.add("geocov-legend");
      legendBody = div;
      drawLegend();
    }).addTo(map);
    map.on("zoomend overlayadd overlayremove", drawLegend);

    /* metric switcher */
    state.setMetric = function (key) {
      if (!cfg.metricByKey[key]) throw new Error("unknown metric " + key);
      cfg.state.metric = key;
      units.setStyle(style);
      drawLegend();
    };
    control("topright", function (div) {
      div.classList.add("geocov-switch");
      div.appendChild(G.el("label", "geocov-switch-label", t("colour_by", { levels: cfg.levelPlural })));
      var sel = G.el("select", "geocov-metric");
      var group = null, og = null;
      cfg.metrics.forEach(function (m) {
        if (m.group !== group) {
          group = m.group;
          og = document.createElement("optgroup");
          og.label = group;
          sel.appendChild(og);
        }
        var o = G.el("option", null, m.label);
        o.value = m.key;
        if (m.key === cfg.state.metric) o.selected = true;
        og.appendChild(o);
      });
      sel.addEventListener("change", function () { state.setMetric(sel.value); });
      div.appendChild(sel);
    }).addTo(map);

    /* search by name, with or without diacritics */
    var folded = null;
    state.search = function (q) {
      if (!folded) folded = rows.map(function (r) { return [G.fold(r.n), G.fold(r.f || "")]; });
      var f = G.fold(q), hits = [];
      if (!f) return hits;
      for (var k = 0; k < rows.length && hits.length < 12; k++) {
        if (folded[k][0].indexOf(f) >= 0) hits.push(k);
      }
      for (var j = 0; j < rows.length && hits.length < 12; j++) {
        if (hits.indexOf(j) < 0 && folded[j][1].indexOf(f) >= 0) hits.push(j);
      }
      return hits;
    };
    var layerOf = [];
    units.eachLayer(function (layer) { layerOf[layer.feature.properties.i] = layer; });
    state.layerOf = layerOf;
    function zoomTo(k) {
      var layer = layerOf[k];
      map.fitBounds(layer.getBounds(), { maxZoom: 13, animate: false });
      layer.openPopup(layer.getBounds().getCenter());
    }
    state.zoomTo = zoomTo;
    control("topleft", function (div) {
      div.classList.add("geocov-search");
      var input = G.el("input", "geocov-search-input");
      input.type = "search";
      input.placeholder = t("find", { level: cfg.levelLabel });
      input.setAttribute("aria-label", input.placeholder);
      var list = G.el("div", "geocov-search-results");
      function pick(k) {
        list.textContent = "";  /* the list closes after a pick */
        input.value = rows[k].n;
        zoomTo(k);
      }
      input.addEventListener("input", function () {
        list.textContent = "";
        if (!G.fold(input.value)) return;
        var hits = state.search(input.value);
        if (!hits.length) {
          list.appendChild(G.el("div", "geocov-search-none", t("no_match", { q: input.value.trim() })));
          return;
        }
        hits.forEach(function (k) {
          var item = G.el("div", "geocov-search-hit");
          item.appendChild(G.el("b", null, rows[k].n));
          if (rows[k].f) item.appendChild(G.el("span", "geocov-search-path", " " + rows[k].f));
          item.addEventListener("click", function () { pick(k); });
          list.appendChild(item);
        });
      });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { input.value = ""; list.textContent = ""; }
        if (e.key === "Enter") {
          var first = list.querySelector(".geocov-search-hit");
          if (first) first.click();
        }
      });
      div.appendChild(input);
      div.appendChild(list);
    }).addTo(map);

    /* side panel: the highlighted units with the reason in words */
    if (cfg.highlightPanel) {
      control("bottomleft", function (div) {
        div.classList.add("geocov-side");
        var det = document.createElement("details");
        det.open = flagged.length > 0 && cfg.panelOpen;
        det.appendChild(G.el("summary", null, cfg.highlightLabel + " (" + fmt(flagged.length) + ")"));
        det.appendChild(G.el("div", "geocov-side-rule", cfg.rulesText));
        var ol = G.el("ol", "geocov-side-list");
        flagged.slice(0, cfg.maxPanel).forEach(function (layer) {
          var r = layer.geocovRow;
          var li = G.el("li", "geocov-side-item");
          li.appendChild(G.el("b", null, r.n));
          if (r.f) li.appendChild(G.el("span", "geocov-search-path", " " + r.f));
          li.appendChild(G.el("div", "geocov-side-reason", r.r));
          li.addEventListener("click", function () { zoomTo(r.i); });
          ol.appendChild(li);
        });
        if (flagged.length > cfg.maxPanel)
          ol.appendChild(G.el("li", "geocov-side-more", t("more", { n: fmt(flagged.length - cfg.maxPanel) })));
        det.appendChild(ol);
        div.appendChild(det);
      }).addTo(map);
    }

    G.maps.push(state);
    state.group = group;
    group.geocovState = state;
    return group;
  };

  function stateOf(map) {
    for (var k = G.maps.length - 1; k >= 0; k--) if (G.maps[k].map === map) return G.maps[k];
    return null;
  }
  /* the highlight layer (halo and outline) of the last units layer built for this map */
  G.highlightLayer = function (map) {
    var s = stateOf(map);
    return s ? s.highlightGroup : L.layerGroup();
  };
  G.labelsLayer = function (map) {
    var s = stateOf(map);
    return s ? s.labels : L.layerGroup();
  };

  /* Lazily built point layers: created when first shown (hidden layers cost nothing). */
  function lazy(group, build) {
    var built = false;
    group.on("add", function () { if (!built) { built = true; build(group); } });
    return group;
  }

  /* Villages by signal and fiber: drawn from cfg.minZoom on (where they stand apart);
   * below it the layer stays switched on, empty, and the legend says to zoom in. */
  G.villagesLayer = function (map, cfg) {
    var renderer = L.canvas({ padding: 0.2 });
    var group = L.featureGroup(), markers = null, shown = false;
    var statusWord = cfg.statusWord || t("best_signal");
    function build() {
      var d = cfg.data, n = d.x.length;
      markers = new Array(n);
      for (var k = 0; k < n; k++) {
        var st = cfg.statuses[d.s[k]];
        var fib = d.fb[k] === 1;
        var mk = L.circleMarker([d.y[k], d.x[k]], {
          renderer: renderer, radius: cfg.radius, fillColor: st.color, fillOpacity: 0.95,
          color: fib ? cfg.fiberColor : "#ffffff", weight: fib ? 2 : 0.8,
        });
        (function (k, st, fib) {
          mk.bindTooltip(function () {
            var box = G.el("div", "geocov-tip");
            box.appendChild(G.el("div", "geocov-tip-name", d.n[k]));
            box.appendChild(G.el("div", "geocov-tip-path", d.u[k]));
            box.appendChild(G.el("div", "geocov-tip-line", statusWord + ": " + st.label));
            box.appendChild(G.el("div", "geocov-tip-line", fib ? t("fiber_connected")
              : d.fb[k] === 2 ? t("fiber_unknown") : t("fiber_not_connected")));
            box.appendChild(G.el("div", "geocov-tip-line", t("population", { n: fmt(d.p[k]) })));
            return box;
          }, { className: "geocov-tooltip" });
        })(k, st, fib);
        markers[k] = mk;
      }
    }
    function update() {
      if (!map.hasLayer(group)) return;
      var want = map.getZoom() >= (cfg.minZoom || 0);
      if (want && !shown) {
        if (!markers) build();
        markers.forEach(function (mk) { group.addLayer(mk); });
      } else if (!want && shown) {
        group.clearLayers();
      }
      shown = want;
    }
    group.on("add", function () { shown = false; update(); });
    group.on("remove", function () { group.clearLayers(); shown = false; });
    map.on("zoomend", update);
    group.geocovVisible = function () { return shown; };
    var rows = cfg.statuses.map(function (st) { return { shape: "circle", color: st.color, label: st.label }; });
    if (cfg.fiberKnown !== false && !cfg.statusWord)
      rows.push({ shape: "ring", color: cfg.fiberColor, label: t("fiber_ring") });
    registerLegend(map, group, function () {
      var hidden = map.getZoom() < (cfg.minZoom || 0);
      if (hidden && G.print) return null;  /* a sheet cannot be zoomed: say nothing */
      return { title: cfg.statusWord ? t("tiers") : t("villages"), rows: rows,
        note: hidden ? t("villages_zoom") : null };
    });
    return group;
  };

  G.stationsLayer = function (map, cfg) {
    var group = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50,
      disableClusteringAtZoom: 14,
      iconCreateFunction: function (cluster) {
        var span = G.el("span", null, fmt(cluster.getChildCount()));
        var div = G.el("div", "geocov-cluster");
        div.style.background = cfg.color;
        div.appendChild(span);
        return L.divIcon({ html: div, className: "geocov-cluster-icon", iconSize: L.point(34, 34) });
      },
    });
    registerLegend(map, group, function () {
      return { title: cfg.legendKey ? t(cfg.legendKey) : t("stations"),
        rows: [{ shape: "circle", color: cfg.color, ring: "#222222", label: cfg.technology }] };
    });
    return lazy(group, function (group) {
      var d = cfg.data, n = d.x.length, markers = new Array(n);
      for (var k = 0; k < n; k++) {
        var mk = L.circleMarker([d.y[k], d.x[k]], {
          radius: 5, fillColor: cfg.color, fillOpacity: 0.95, color: "#222", weight: 1,
        });
        (function (k) {
          mk.bindTooltip(function () {
            var box = G.el("div", "geocov-tip");
            box.appendChild(G.el("div", "geocov-tip-name", t("station", { id: d.id[k] })));
            /* a planned site's line is its own words (cfg.plainLine), a station's its technology and operator */
            box.appendChild(G.el("div", "geocov-tip-line", cfg.plainLine ? d.op[k]
              : t("station_line", { technology: cfg.technology, operator: d.op[k] })));
            box.appendChild(G.el("div", "geocov-tip-line", t("range", { r: fmt(d.r[k]) })));
            return box;
          }, { className: "geocov-tooltip" });
        })(k);
        markers[k] = mk;
      }
      group.addLayers(markers);
    });
  };

  /* Fiber routes (thin when zoomed out) and nodes (from cfg.minZoom on). */
  G.fiberLayer = function (map, cfg) {
    var group = L.featureGroup(), routes = null;
    if (cfg.routes.length) {
      routes = L.geoJSON({ type: "FeatureCollection", features: cfg.routes.map(function (g) {
        return { type: "Feature", geometry: g, properties: {} };
      }) }, { style: function () { return cfg.routeStyle; }, interactive: false });
      group.addLayer(routes);
    }
    var nodes = L.featureGroup(), d = cfg.nodes;
    for (var k = 0; k < d.x.length; k++) {
      var mk = L.circleMarker([d.y[k], d.x[k]], cfg.nodeStyle);
      mk.bindTooltip(G.el("div", "geocov-tip-line", t(cfg.nodeKey || "fiber_node")), { className: "geocov-tooltip" });
      nodes.addLayer(mk);
    }
    function detailed() { return map.getZoom() >= (cfg.minZoom || 0); }
    function update() {
      if (!map.hasLayer(group)) return;
      var near = detailed();
      if (routes) routes.setStyle(near || !cfg.thinStyle ? cfg.routeStyle : Object.assign({}, cfg.routeStyle, cfg.thinStyle));
      if (near && !group.hasLayer(nodes)) group.addLayer(nodes);
      if (!near && group.hasLayer(nodes)) group.removeLayer(nodes);
    }
    group.on("add", update);
    map.on("zoomend", update);
    registerLegend(map, group, function () {
      var rows = [];
      if (routes) rows.push({ shape: "line", color: cfg.routeStyle.color, dash: !!cfg.routeStyle.dashArray,
        label: cfg.legendKey ? t(cfg.legendKey) : t("fiber_route") });
      if (d.x.length && (detailed() || !routes))
        rows.push({ shape: "circle", color: cfg.nodeStyle.fillColor, label: t(cfg.nodeKey || "fiber_nodes") });
      return { title: cfg.legendKey ? t(cfg.legendKey) : t("fiber"), rows: rows };
    });
    return group;
  };

  /* north arrow and the footer of the printable view */
  function printExtras(map, cfg) {
    var pr = G.print;
    map.getContainer().classList.add("geocov-print", "geocov-paper-" + String(pr.paper || "").toLowerCase());
    control("topright", function (div) {
      div.classList.add("geocov-north");
      var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 40 56");
      svg.setAttribute("width", "34");
      svg.setAttribute("height", "48");
      var a = document.createElementNS(ns, "path");
      a.setAttribute("d", "M20 16 L32 52 L20 44 L8 52 Z");
      a.setAttribute("fill", "#222");
      var b = document.createElementNS(ns, "path");
      b.setAttribute("d", "M20 16 L20 44 L8 52 Z");
      b.setAttribute("fill", "#fff");
      b.setAttribute("stroke", "#222");
      var txt = document.createElementNS(ns, "text");
      txt.setAttribute("x", "20");
      txt.setAttribute("y", "13");
      txt.setAttribute("text-anchor", "middle");
      txt.setAttribute("font-size", "14");
      txt.setAttribute("font-weight", "700");
      txt.textContent = t("north");
      svg.appendChild(a); svg.appendChild(b); svg.appendChild(txt);
      div.appendChild(svg);
    }).addTo(map);
    control("bottomleft", function (div) {
      div.classList.add("geocov-footer");
      if (cfg.sources && cfg.sources.length)
        div.appendChild(G.el("div", "geocov-footer-sources", t("print_sources", { sources: cfg.sources.join("; ") })));
      if (cfg.credit) div.appendChild(G.el("div", "geocov-credit", cfg.credit));
    }).addTo(map);
  }

  G.infoPanel = function (map, cfg) {
    if (cfg.i18n) G.i18n = cfg.i18n;
    control(G.print ? "topleft" : "topright", function (div) {
      div.classList.add("geocov-info");
      div.appendChild(G.el("div", "geocov-title", cfg.title));
      if (cfg.date) div.appendChild(G.el("div", "geocov-date", cfg.dateText || cfg.date));
      if (cfg.units) div.appendChild(G.el("div", "geocov-units", cfg.units));
      var det = document.createElement("details");
      det.appendChild(G.el("summary", null, cfg.sourcesModel || "Sources and coverage model"));
      if (cfg.model) det.appendChild(G.el("div", "geocov-model", cfg.model));
      if (cfg.sources && cfg.sources.length) {
        var ul = G.el("ul", "geocov-sources");
        cfg.sources.forEach(function (s) { ul.appendChild(G.el("li", null, s)); });
        det.appendChild(ul);
      }
      if (cfg.credit) det.appendChild(G.el("div", "geocov-credit", cfg.credit));
      div.appendChild(det);
    }).addTo(map);
    if (G.print) printExtras(map, cfg);
    /* mark when the first frame with the vector layers has been drawn (for benchmarks) */
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      G.drawnAt = performance.now();
    }); });
  };
})();
