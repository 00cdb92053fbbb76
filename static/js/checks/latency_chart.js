// Draws the latency chart of a monitor's detail page with uPlot.
// Data comes from <script id="latency-data" type="application/json">:
// {"t": [epoch seconds], "latency_ms": [int|null], "ok": [bool]}.
// Successful checks form the line; a failed check breaks it (a gap) and is drawn as a
// red point at its latency, or on the baseline when it had none (a timeout).
(function () {
  "use strict";

  function columns(data) {
    var ok = [];
    var failed = [];
    for (var i = 0; i < data.t.length; i++) {
      var latency = data.latency_ms[i];
      if (data.ok[i]) {
        ok.push(latency);
        failed.push(null);
      } else {
        ok.push(null);
        failed.push(latency === null ? 0 : latency);
      }
    }
    return [data.t, ok, failed];
  }

  function formatMs(u, value) {
    return value === null || value === undefined ? "—" : Math.round(value) + " ms";
  }

  function draw() {
    var target = document.getElementById("latency-chart");
    var source = document.getElementById("latency-data");
    if (!target || !source || typeof uPlot === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.t.length) {
      return;
    }
    var options = {
      width: target.clientWidth,
      height: 220,
      cursor: { drag: { x: true, y: false } },
      scales: { y: { range: function (u, min, max) { return [0, Math.max(10, max * 1.1)]; } } },
      axes: [
        { stroke: "#64748b", grid: { stroke: "#e2e8f0" }, ticks: { stroke: "#e2e8f0" } },
        {
          stroke: "#64748b",
          grid: { stroke: "#e2e8f0" },
          ticks: { stroke: "#e2e8f0" },
          size: 60,
          values: function (u, ticks) { return ticks.map(function (v) { return v + " ms"; }); },
        },
      ],
      series: [
        {},
        {
          label: "Latency",
          stroke: "#2563eb",
          width: 1.5,
          fill: "rgba(37, 99, 235, 0.08)",
          spanGaps: false,
          value: formatMs,
        },
        {
          label: "Failed",
          stroke: "#dc2626",
          paths: function () { return null; },
          points: { show: true, size: 7, fill: "#dc2626", stroke: "#dc2626" },
          value: function (u, value) { return value === null ? "—" : "failed"; },
        },
      ],
    };
    var chart = new uPlot(options, columns(data), target);
    var resize = function () { chart.setSize({ width: target.clientWidth, height: 220 }); };
    window.addEventListener("resize", resize);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
