/* ploteries viewer: live ticks asked one at a time and applied only to the view they were computed for.
   See ploteries/viz/ticks.py for the why; window.ploteriesTicks counts what happened (tests read it). */
(function () {
  "use strict";
  var STALE_MS = 30000; // a request the server never answered (it failed) is asked again after this long
  var stats = { requested: 0, applied: 0, dropped: 0, cardsDropped: 0, replies: [] };
  window.ploteriesTicks = stats;

  var noted = 0; // the highest request id whose reply's fate is noted

  /* What became of the reply to request ``id`` (the last 50 kept): applied (with how many cards dropped) or
     dropped; earlier replies never seen here are "superseded": Dash runs this callback once with the newest
     reply when several came while it waited (e.g. behind a rewind's callbacks), so those were never applied. */
  function note(id, fate, cardsDropped) {
    for (var skipped = noted + 1; skipped < id; skipped++) {
      stats.replies.push({ id: skipped, fate: "superseded", cardsDropped: 0 });
    }
    stats.replies.push({ id: id, fate: fate, cardsDropped: cardsDropped });
    noted = Math.max(noted, id);
    while (stats.replies.length > 50) stats.replies.shift();
  }

  function nothing(v) {
    return v === undefined || v === null;
  }

  /* Deep equality of JSON values, with undefined and null one "nothing" (as Dash sends them). */
  function same(a, b) {
    if (a === b || (nothing(a) && nothing(b))) return true;
    if (nothing(a) || nothing(b) || typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    var keys = Object.keys(a).concat(Object.keys(b));
    for (var i = 0; i < keys.length; i++) {
      if (!same(a[keys[i]], b[keys[i]])) return false;
    }
    return true;
  }

  /* Interval fired: ask for a tick unless one is still unanswered. */
  function requestTick(_n, last, reply) {
    var id = last && last.id ? last.id : 0;
    var answered = id === 0 || (reply && reply.id === id);
    if (!answered && Date.now() - last.t < STALE_MS) return window.dash_clientside.no_update;
    stats.requested += 1;
    return { id: id + 1, t: Date.now() };
  }

  /* A tick's reply: applied if the page still shows the view it was computed for, card by card. */
  function applyTick(reply, settings, tab, tagFilter, runFilter, runs, page, slider, pause, ticked, states) {
    var NO = window.dash_clientside.no_update;
    var cc = window.dash_clientside.callback_context;
    var graphIds = cc.outputs_list[1].map(function (o) { return o.id.card; });
    var stateIds = cc.outputs_list[2].map(function (o) { return o.id.card; });
    var figures = graphIds.map(function () { return NO; });
    var newStates = stateIds.map(function () { return NO; });
    var skip = [NO, figures, newStates, NO, NO, NO, NO, NO];
    if (!reply || !reply.view) return skip;
    if (!same(reply.view, [settings, tab, tagFilter, runFilter, runs, page, slider, pause, ticked])) {
      stats.dropped += 1;
      note(reply.id, "dropped", 0);
      return skip;
    }
    var held = {};
    var cardsDropped = 0;
    var heldList = cc.states_list[cc.states_list.length - 1] || [];
    heldList.forEach(function (s, i) {
      held[s.id.card] = states[i] ? states[i].rev : null;
    });
    Object.keys(reply.cards || {}).forEach(function (cid) {
      if (!same(held[cid], reply.revs[cid])) {
        stats.cardsDropped += 1; // the card changed since the tick read it (a zoom): its own reply wins
        cardsDropped += 1;
        return;
      }
      var update = reply.cards[cid];
      var g = graphIds.indexOf(cid);
      var s = stateIds.indexOf(cid);
      if (!nothing(update.figure) && g >= 0) figures[g] = update.figure;
      if (!nothing(update.state) && s >= 0) newStates[s] = update.state;
    });
    stats.applied += 1;
    note(reply.id, "applied", cardsDropped);
    var value = reply.slider[2];
    return [
      nothing(reply.version) ? NO : reply.version,
      figures,
      newStates,
      reply.slider[0],
      reply.slider[1],
      nothing(value) ? NO : value,
      reply.status[0],
      reply.status[1],
    ];
  }

  /* A graph's relayout event, passed on only when it moves the x axis (a zoom, a pan, back to autorange):
     the window's resizes must not supersede a zoom whose full-resolution data is on its way. */
  function zoom(relayout) {
    var keys = relayout ? Object.keys(relayout) : [];
    var moves = keys.some(function (k) { return k === "xaxis.autorange" || k.indexOf("xaxis.range") === 0; });
    return moves ? relayout : window.dash_clientside.no_update;
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ploteries_ticks = { request: requestTick, apply: applyTick, zoom: zoom };
})();
