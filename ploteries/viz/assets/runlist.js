/* ploteries viewer: the run list's hover highlight, and a click on a group's band expanding or folding it.
   See ploteries/viz/run_list.py (rows carry data-run and data-group) and ploteries/viz/group_traces.py (a
   group's centre line carries meta.group). window.ploteriesRunList counts highlights (tests read it). */
(function () {
  "use strict";
  var stats = { highlighted: 0, cleared: 0, run: null };
  window.ploteriesRunList = stats;
  var WIDE = 3.5; // a hovered run's line width
  var FADED = 0.15; // the other lines' opacity, times their own

  function graphs() {
    return Array.prototype.slice.call(document.querySelectorAll(".card .js-plotly-plot"));
  }

  function matches(trace, run, group) {
    if (trace.name === run) return true;
    return Boolean(group) && Boolean(trace.meta) && trace.meta.group === group;
  }

  /* Draw the traces of ``run`` (or of its group) wide and the others faint, in every card; the
     original widths and opacities are kept on the graph to be put back. */
  function highlight(run, group) {
    clear();
    stats.run = run;
    graphs().forEach(function (gd) {
      if (!gd.data || !window.Plotly) return;
      var hits = gd.data.map(function (t) { return matches(t, run, group); });
      if (hits.indexOf(true) < 0) return;
      var widths = gd.data.map(function (t) { return t.line && t.line.width !== undefined ? t.line.width : 2; });
      var opacities = gd.data.map(function (t) { return t.opacity === undefined ? 1 : t.opacity; });
      gd._ploteriesHighlight = { widths: widths, opacities: opacities };
      window.Plotly.restyle(gd, {
        "line.width": widths.map(function (w, i) { return hits[i] && w > 0 ? Math.max(w, WIDE) : w; }),
        opacity: opacities.map(function (o, i) { return hits[i] ? Math.max(o, 0.9) : o * FADED; }),
      });
    });
    stats.highlighted += 1;
  }

  function clear() {
    if (stats.run === null) return;
    graphs().forEach(function (gd) {
      var saved = gd._ploteriesHighlight;
      if (!saved || !gd.data || saved.widths.length !== gd.data.length) return;
      delete gd._ploteriesHighlight;
      window.Plotly.restyle(gd, { "line.width": saved.widths, opacity: saved.opacities });
    });
    stats.run = null;
    stats.cleared += 1;
  }

  function rowOf(target) {
    return target && target.closest ? target.closest(".runs [data-run]") : null;
  }

  /* Density pictures (ploteries/viz/density_figure.py): the hovered run and the pinned runs are drawn over
     them as lines by the server; the page tells it through the stores run-hover and run-pins. A click on a
     run's colour swatch pins it (or unpins it) instead of ticking the row. */
  var MAX_PINS = 8; // ploteries.viz.density_figure.MAX_PINS
  var overlay = { hover: null, pins: [], sent: 0, leaving: null };
  stats.overlay = overlay;

  function setStore(id, value) {
    var dc = window.dash_clientside;
    if (dc && dc.set_props) dc.set_props(id, { data: value });
    overlay.sent += 1;
  }

  function setHover(run) {
    if (overlay.leaving !== null) clearTimeout(overlay.leaving);
    overlay.leaving = null;
    if (run === overlay.hover) return;
    overlay.hover = run;
    setStore("run-hover", run);
  }

  function markPins() {
    var pinned = new Set(overlay.pins);
    document.querySelectorAll(".runs [data-run]").forEach(function (row) {
      row.classList.toggle("pinned", pinned.has(row.getAttribute("data-run")));
    });
  }

  function togglePin(run) {
    var at = overlay.pins.indexOf(run);
    if (at >= 0) overlay.pins.splice(at, 1);
    else overlay.pins.push(run);
    overlay.pins = overlay.pins.slice(-MAX_PINS);
    markPins();
    setStore("run-pins", overlay.pins.slice());
  }

  document.addEventListener("mouseover", function (e) {
    var row = rowOf(e.target);
    if (!row) return;
    var run = row.getAttribute("data-run");
    if (run !== stats.run) highlight(run, row.getAttribute("data-group"));
    setHover(run);
    markPins();
  });
  document.addEventListener("mouseout", function (e) {
    var row = rowOf(e.target);
    if (row && !row.contains(e.relatedTarget)) {
      clear();
      // leaving for the next row sends one request, not two
      if (overlay.leaving !== null) clearTimeout(overlay.leaving);
      overlay.leaving = setTimeout(function () { overlay.leaving = null; setHover(null); }, 120);
    }
  });
  document.addEventListener("click", function (e) {
    var swatch = e.target && e.target.closest ? e.target.closest(".runs [data-run] .swatch") : null;
    if (!swatch) return;
    e.preventDefault(); // the swatch is inside the row's label: do not tick or untick the row
    e.stopPropagation();
    togglePin(rowOf(swatch).getAttribute("data-run"));
  }, true);

  /* The overlay request: which density cards to draw the hovered and pinned runs over (null: all of them).
     A card drawn anew (zoom, settings, live tick) has empty slots: it is asked for again if runs are shown. */
  function overlayRequest(hover, pins, states) {
    var NO = window.dash_clientside.no_update;
    var context = window.dash_clientside.callback_context;
    var entries = (context.inputs_list && context.inputs_list[2]) || [];
    var dense = entries.filter(function (e) { return e.value && e.value.density; });
    if (!dense.length) return NO;
    var runsShown = Boolean(hover) || (Array.isArray(pins) && pins.length > 0);
    var cards = null;
    var byUser = (context.triggered || []).some(function (t) {
      return t.prop_id === "run-hover.data" || t.prop_id === "run-pins.data";
    });
    if (!byUser) {
      if (!runsShown) return NO;
      var changed = new Set((context.triggered || []).map(function (t) { return t.prop_id; }));
      cards = dense.filter(function (e) {
        return changed.has(JSON.stringify(e.id, Object.keys(e.id).sort()) + ".data");
      }).map(function (e) { return e.id.card; });
      if (!cards.length) return NO;
    }
    return { hover: hover || null, pins: Array.isArray(pins) ? pins : [], cards: cards, t: Date.now() };
  }

  /* A click on a card's graph: the group of the clicked line, if it is a group's centre line. */
  function groupClick() {
    var NO = window.dash_clientside.no_update;
    var triggered = (window.dash_clientside.callback_context.triggered || [])[0];
    if (!triggered || !triggered.value || !triggered.value.points || !triggered.value.points.length) return NO;
    var id = triggered.prop_id.slice(0, triggered.prop_id.lastIndexOf("."));
    var el = document.getElementById(id);
    var gd = el && (el.classList.contains("js-plotly-plot") ? el : el.querySelector(".js-plotly-plot"));
    var trace = gd && gd.data ? gd.data[triggered.value.points[0].curveNumber] : null;
    if (!trace || !trace.meta || typeof trace.meta.group !== "string") return NO;
    return { group: trace.meta.group, t: Date.now() };
  }

  /* The rows of the page to tick: those the selection shows (ploteries.viz.services.runlist: with ``only``
     the listed runs are shown, else they are hidden). Computed here from the selection the page holds, so a
     server reply can never tick rows against it; unchanged ticks are left alone (no request). */
  function ticks(selection, rows, current) {
    var NO = window.dash_clientside.no_update;
    var only = Boolean(selection && selection.only === true);
    var listed = new Set(selection && Array.isArray(selection.runs) ? selection.runs : []);
    var out = (Array.isArray(rows) ? rows : []).filter(function (v) { return listed.has(v) === only; });
    var now = new Set(Array.isArray(current) ? current : []);
    var same = out.length === now.size && out.every(function (v) { return now.has(v); });
    return same ? NO : out;
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ploteries_runlist = {
    groupClick: groupClick, ticks: ticks, overlayRequest: overlayRequest,
  };
})();
