/* geocov map runtime (part of geocov, MIT). Builds the coverage layers from data that
 * geocov.maps embeds in the page. Every name or attribute from the data is put into the
 * page with textContent (never innerHTML), so names are text, never markup. */
(function () {
  "use strict";
  var G = (window.geocov = window.geocov || {});
  G.maps = G.maps || [];

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
  function fmt(n, digits) {
    if (n === null || n === undefined || !isFinite(n)) return "n/a";
    return Number(n).toLocaleString("en-US", {
      minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0,
    });
  }
  G.fmt = fmt;
  /* "4G: 37/41 villages, 90.2%" — never a bare percentage */
  G.ratio = function (label, num, den, noun, digits) {
    if (den === null || den === undefined || !isFinite(den) || den <= 0)
      return label + ": no " + noun + " (no data)";
    var pct = (100 * num) / den;
    return label + ": " + fmt(num, digits) + "/" + fmt(den, digits) + " " + noun + ", " +
      pct.toFixed(1) + "%";
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
    if (props.h) box.appendChild(G.el("div", "geocov-tip-flag", (cfg.flagWord || "Unconnected remote") + ": " + props.r));
    return box;
  }

  /* The choropleth of units, its outline of parent units, labels, legend, metric switcher,
   * search and the list of highlighted units. Returns a featureGroup (the units). */
  G.unitsLayer = function (map, cfg) {
    cfg.metricByKey = {};
    cfg.metrics.forEach(function (m) { cfg.metricByKey[m.key] = m; });
    cfg.state = { metric: cfg.metric };
    if (cfg.fit) map.fitBounds(cfg.fit, { animate: false });
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
        layer.bindPopup(function () { return unitBox(cfg, p, true); }, { maxWidth: 360 });
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

    /* highlighted (unconnected remote) units: drawn again on top in the highlight style */
    var flagged = [];
    units.eachLayer(function (layer) { if (layer.geocovRow.h) flagged.push(layer); });
    flagged.sort(function (a, b) { return (b.geocovRow.u || 0) - (a.geocovRow.u || 0); });  /* u: rank order or people */
    var hl = L.featureGroup(flagged.map(function (layer) {
      var copy = L.geoJSON(layer.feature, { renderer: renderer, style: function () { return cfg.highlightStyle; } });
      copy.geocovRow = layer.geocovRow;
      copy.eachLayer(function (l) {
        l.geocovHighlight = true;
        l.bindTooltip(function () { return unitBox(cfg, layer.geocovRow, false); }, { sticky: true, className: "geocov-tooltip" });
        l.bindPopup(function () { return unitBox(cfg, layer.geocovRow, true); }, { maxWidth: 360 });
      });
      return copy;
    }));
    state.highlight = hl;
    state.flagged = flagged;

    /* labels: names of the units large enough on screen (at most cfg.maxLabels) */
    var labels = L.layerGroup();
    state.labels = labels;
    var bounds = [];
    units.eachLayer(function (layer) { bounds.push([layer, layer.getBounds()]); });
    function updateLabels() {
      labels.clearLayers();
      var view = map.getBounds(), zoom = map.getZoom(), shown = 0;
      for (var k = 0; k < bounds.length && shown < cfg.maxLabels; k++) {
        var b = bounds[k][1];
        if (!view.intersects(b)) continue;
        var nw = map.project(b.getNorthWest(), zoom), se = map.project(b.getSouthEast(), zoom);
        if (se.x - nw.x < cfg.labelMinPx) continue;
        var row = bounds[k][0].geocovRow;
        var lab = G.el("span", "geocov-label", row.n);
        labels.addLayer(L.marker([row.ly, row.lx], {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "geocov-label-icon", html: lab, iconSize: null }),
        }));
        shown++;
      }
    }
    map.on("moveend zoomend", updateLabels);
    map.whenReady(updateLabels);

    /* legend */
    var legendBody;
    function drawLegend() {
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
      nd.appendChild(G.el("span", null, m.noData || ("no data (no " + m.noun + ")")));
      legendBody.appendChild(nd);
      var hlr = G.el("div", "geocov-legend-row");
      var sw3 = G.el("span", "geocov-swatch geocov-swatch-hl");
      sw3.style.borderColor = cfg.highlightStyle.color;
      hlr.appendChild(sw3);
      hlr.appendChild(G.el("span", null, cfg.highlightLabel));
      legendBody.appendChild(hlr);
    }
    control("bottomright", function (div) {
      div.classList.add("geocov-legend");
      legendBody = div;
      drawLegend();
    }).addTo(map);

    /* metric switcher */
    state.setMetric = function (key) {
      if (!cfg.metricByKey[key]) throw new Error("unknown metric " + key);
      cfg.state.metric = key;
      units.setStyle(style);
      drawLegend();
    };
    control("topright", function (div) {
      div.classList.add("geocov-switch");
      div.appendChild(G.el("label", "geocov-switch-label", "Colour " + cfg.levelPlural + " by"));
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
      map.fitBounds(layer.getBounds(), { maxZoom: 13 });
      layer.openPopup(layer.getBounds().getCenter());
    }
    state.zoomTo = zoomTo;
    control("topleft", function (div) {
      div.classList.add("geocov-search");
      var input = G.el("input", "geocov-search-input");
      input.type = "search";
      input.placeholder = "Find a " + cfg.levelLabel + " by name";
      input.setAttribute("aria-label", input.placeholder);
      var list = G.el("div", "geocov-search-results");
      input.addEventListener("input", function () {
        list.textContent = "";
        state.search(input.value).forEach(function (k) {
          var item = G.el("div", "geocov-search-hit");
          item.appendChild(G.el("b", null, rows[k].n));
          if (rows[k].f) item.appendChild(G.el("span", "geocov-search-path", " " + rows[k].f));
          item.addEventListener("click", function () { zoomTo(k); });
          list.appendChild(item);
        });
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
          ol.appendChild(G.el("li", "geocov-side-more", "… and " + fmt(flagged.length - cfg.maxPanel) + " more (see the layer on the map)"));
        det.appendChild(ol);
        div.appendChild(det);
      }).addTo(map);
    }

    G.maps.push(state);
    state.group = group;
    group.geocovState = state;
    return group;
  };

  /* the highlight layer of the last units layer built for this map */
  G.highlightLayer = function (map) {
    for (var k = G.maps.length - 1; k >= 0; k--) if (G.maps[k].map === map) return G.maps[k].highlight;
    return L.layerGroup();
  };
  G.labelsLayer = function (map) {
    for (var k = G.maps.length - 1; k >= 0; k--) if (G.maps[k].map === map) return G.maps[k].labels;
    return L.layerGroup();
  };

  /* Lazily built point layers: created when first shown (hidden layers cost nothing). */
  function lazy(group, build) {
    var built = false;
    group.on("add", function () { if (!built) { built = true; build(group); } });
    return group;
  }

  G.villagesLayer = function (map, cfg) {
    var renderer = L.canvas({ padding: 0.2 });
    return lazy(L.featureGroup(), function (group) {
      var d = cfg.data, n = d.x.length, layers = new Array(n);
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
            box.appendChild(G.el("div", "geocov-tip-line", (cfg.statusWord || "Best signal") + ": " + st.label));
            box.appendChild(G.el("div", "geocov-tip-line", fib ? "Fiber: connected"
              : d.fb[k] === 2 ? "Fiber: unknown (no fiber data)" : "Fiber: not connected"));
            box.appendChild(G.el("div", "geocov-tip-line", "Population: " + fmt(d.p[k])));
            return box;
          }, { className: "geocov-tooltip" });
        })(k, st, fib);
        layers[k] = mk;
      }
      layers.forEach(function (l) { group.addLayer(l); });
    });
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
    return lazy(group, function (group) {
      var d = cfg.data, n = d.x.length, markers = new Array(n);
      for (var k = 0; k < n; k++) {
        var mk = L.circleMarker([d.y[k], d.x[k]], {
          radius: 5, fillColor: cfg.color, fillOpacity: 0.95, color: "#222", weight: 1,
        });
        (function (k) {
          mk.bindTooltip(function () {
            var box = G.el("div", "geocov-tip");
            box.appendChild(G.el("div", "geocov-tip-name", "Station " + d.id[k]));
            box.appendChild(G.el("div", "geocov-tip-line", cfg.technology + ", operator " + d.op[k]));
            box.appendChild(G.el("div", "geocov-tip-line", "Range: " + fmt(d.r[k]) + " m"));
            return box;
          }, { className: "geocov-tooltip" });
        })(k);
        markers[k] = mk;
      }
      group.addLayers(markers);
    });
  };

  G.fiberLayer = function (map, cfg) {
    var group = L.featureGroup();
    if (cfg.routes.length) {
      group.addLayer(L.geoJSON({ type: "FeatureCollection", features: cfg.routes.map(function (g) {
        return { type: "Feature", geometry: g, properties: {} };
      }) }, { style: function () { return cfg.routeStyle; }, interactive: false }));
    }
    var d = cfg.nodes;
    for (var k = 0; k < d.x.length; k++) {
      var mk = L.circleMarker([d.y[k], d.x[k]], cfg.nodeStyle);
      mk.bindTooltip(G.el("div", "geocov-tip-line", "Fiber node"), { className: "geocov-tooltip" });
      group.addLayer(mk);
    }
    return group;
  };

  G.infoPanel = function (map, cfg) {
    control("topright", function (div) {
      div.classList.add("geocov-info");
      div.appendChild(G.el("div", "geocov-title", cfg.title));
      if (cfg.date) div.appendChild(G.el("div", "geocov-date", "Data as of " + cfg.date));
      var det = document.createElement("details");
      det.appendChild(G.el("summary", null, "Sources and coverage model"));
      if (cfg.model) det.appendChild(G.el("div", "geocov-model", cfg.model));
      if (cfg.sources && cfg.sources.length) {
        var ul = G.el("ul", "geocov-sources");
        cfg.sources.forEach(function (s) { ul.appendChild(G.el("li", null, s)); });
        det.appendChild(ul);
      }
      if (cfg.credit) det.appendChild(G.el("div", "geocov-credit", cfg.credit));
      div.appendChild(det);
    }).addTo(map);
    /* mark when the first frame with the vector layers has been drawn (for benchmarks) */
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      G.drawnAt = performance.now();
    }); });
  };
})();
