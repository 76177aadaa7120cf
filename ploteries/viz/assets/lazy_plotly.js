/* ploteries viewer: plotly.js in two sizes, and graphs drawn when they come into view.

   dcc.Graph draws with the global window.Plotly (if set, it never loads its own). Here window.Plotly is a thin
   front over two plotly.js builds of the same version:
   - the basic build (assets/vendor/plotly-basic.min.js: scatter, bar, pie; a quarter of the full build), loaded
     with the page: every 2-D line card draws with it;
   - the full build (dcc's own plotly.min.js), loaded the first time a figure has a trace the basic build lacks
     (3-D meshes, the embedding projector's WebGL points, parallel coordinates...) or is inside an element of
     class ``plotly-full`` (cards whose type needs it, so that their first message is drawn by it too). A graph
     drawn by one build stays with it; a graph of the basic build that needs the full one is drawn anew.
   A graph is first drawn when it comes into the viewport (IntersectionObserver): cards below the fold cost
   nothing until the user scrolls to them. Updates to a graph already drawn apply at once, wherever it is.
   window.ploteriesPlotly counts what happened (tests and bench/bench_viewer.py read it). */
(function () {
  "use strict";
  var BASIC_TRACES = ["bar", "pie", "scatter"]; // the trace types of plotly.js-basic-dist-min (a test checks)
  var GD_CALLS = [
    "newPlot", "react", "restyle", "relayout", "redraw", "update", "extendTraces", "prependTraces",
    "addTraces", "deleteTraces", "moveTraces", "addFrames", "deleteFrames", "animate", "toImage",
    "downloadImage", "deleteActiveShape"
  ];
  var here = document.currentScript ? document.currentScript.src : "";
  var vendor = here.slice(0, here.lastIndexOf("/") + 1) + "vendor/";
  var stats = { basic: null, full: null, drawn: 0, waiting: 0 }; // build -> ms from navigation start to loaded
  window.ploteriesPlotly = stats;

  var builds = {}; // "basic" | "full" -> plotly.js once evaluated
  var loading = {}; // "basic" | "full" -> Promise of it
  var owner = new WeakMap(); // graph div -> the build that drew it
  var pending = new WeakMap(); // graph div not drawn yet -> {args, waiters}
  var queue = new WeakMap(); // graph div -> its last drawing (the next one waits for it)
  var facade = null;

  function fullUrl() {
    if (window._dashPlotlyJSURL) return window._dashPlotlyJSURL;
    var config = JSON.parse(document.getElementById("_dash-config").textContent);
    return config.requests_pathname_prefix + "_dash-component-suites/plotly/package_data/plotly.min.js";
  }

  /* A build's script, run once; both builds end with `window.Plotly = Plotly`, which the setter below keeps. */
  function load(name) {
    if (!loading[name]) {
      loading[name] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = name === "basic" ? vendor + "plotly-basic.min.js" : fullUrl();
        script.async = true;
        script.setAttribute("data-plotly-build", name);
        script.onload = function () {
          stats[name] = performance.now();
          return builds[name] ? resolve(builds[name]) : reject(new Error("plotly.js " + name + " did not load"));
        };
        script.onerror = reject;
        document.head.appendChild(script);
      });
      if (name === "basic") {
        loading.basic = loading.basic.catch(function () { return load("full"); }).then(function (P) {
          builds.basic = P;
          facade = makeFacade(P);
          return facade;
        });
      }
    }
    return loading[name];
  }

  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: function () {
      return facade || loading.basic; // dcc.Graph waits on the promise before its first drawing
    },
    set: function (P) {
      var script = document.currentScript;
      builds[(script && script.getAttribute("data-plotly-build")) || "full"] = P;
    },
  });

  function needsFull(figure) {
    var data = Array.isArray(figure) ? figure : (figure && figure.data) || [];
    for (var i = 0; i < data.length; i++) {
      if (BASIC_TRACES.indexOf((data[i] && data[i].type) || "scatter") < 0) return true;
    }
    return false;
  }

  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) draw(entry.target);
    });
  });

  /* The first drawing of a graph, once it is near the screen; the latest figure asked for wins. */
  function draw(gd) {
    var job = pending.get(gd);
    if (!job) return;
    pending.delete(gd);
    observer.unobserve(gd);
    stats.waiting -= 1;
    react.apply(null, job.args).then(
      function (v) { job.waiters.forEach(function (w) { w.resolve(v); }); },
      function (e) { job.waiters.forEach(function (w) { w.reject(e); }); }
    );
  }

  /* Plotly.react, by the build the figure needs; deferred while the graph was never drawn and is off-screen. */
  function react(gd) {
    var args = arguments;
    if (!owner.has(gd) && !inView(gd)) {
      var job = pending.get(gd);
      if (!job) {
        job = { waiters: [] };
        pending.set(gd, job);
        stats.waiting += 1;
        observer.observe(gd);
      }
      job.args = args;
      return new Promise(function (resolve, reject) { job.waiters.push({ resolve: resolve, reject: reject }); });
    }
    var run = function () {
      var current = owner.get(gd);
      var full = (current && current === builds.full) || needsFull(args[1]) || Boolean(gd.closest(".plotly-full"));
      return load(full ? "full" : "basic").then(function () {
        var P = builds[full ? "full" : "basic"];
        var kept = [];
        if (current && current !== P) {
          kept = listeners(gd); // dcc.Graph's handlers (hover, zoom...) go to the graph drawn anew
          current.purge(gd);
        }
        owner.set(gd, P);
        return P.react.apply(P, args).then(function (v) {
          if (!current) stats.drawn += 1;
          kept.forEach(function (l) { gd.on(l[0], l[1]); });
          return v;
        });
      });
    };
    var done = (queue.get(gd) || Promise.resolve()).then(run); // one drawing of a graph at a time, in order
    queue.set(gd, done.catch(function () {}));
    return done;
  }

  function listeners(gd) {
    var events = (gd._ev && gd._ev._events) || {};
    var out = [];
    Object.keys(events).forEach(function (name) {
      [].concat(events[name]).forEach(function (fn) { out.push([name, fn.listener || fn]); });
    });
    return out;
  }

  function inView(gd) {
    var box = gd.getBoundingClientRect();
    return gd.isConnected && box.bottom > 0 && box.top < window.innerHeight && (box.width > 0 || box.height > 0);
  }

  function byOwner(name) {
    return function (gd) {
      var P = owner.get(gd) || builds.basic;
      return P[name].apply(P, arguments);
    };
  }

  function makeFacade(basic) {
    var front = Object.create(basic);
    GD_CALLS.forEach(function (name) {
      front[name] = byOwner(name);
    });
    front.react = react;
    front.purge = function (gd) {
      if (pending.has(gd)) {
        pending.delete(gd);
        observer.unobserve(gd);
        stats.waiting -= 1;
      }
      var P = owner.get(gd);
      owner.delete(gd);
      return P ? P.purge(gd) : gd;
    };
    front.Plots = Object.create(basic.Plots);
    front.Plots.resize = function (gd) {
      var P = owner.get(gd);
      return P ? P.Plots.resize(gd) : Promise.resolve(gd);
    };
    return front;
  }

  load("basic");
})();
