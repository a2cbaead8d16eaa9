/* The facility network's maps: facilities by kind and status, the hexagon layer of the
 * 15-minute circle, and the sites a plan chose. Data comes from json_script blocks; every
 * text is set as text (names are never read as HTML). Uses YiyangMap (yiyang/map.js). */
(function () {
  "use strict";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function tip(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      if (line === null || line === undefined || line === "") return;
      var part = document.createElement(i ? "div" : "strong");
      part.textContent = String(line);
      box.appendChild(part);
    });
    return box;
  }

  function fit(map, points) {
    // identical points would make a bounds of no size (and an unusable zoom): keep one each
    var seen = {}, unique = [];
    points.forEach(function (p) {
      var key = p[0].toFixed(6) + "," + p[1].toFixed(6);
      if (!seen[key]) { seen[key] = true; unique.push(p); }
    });
    YiyangMap.fit(map, unique);
  }

  function facilityMap() {
    var d = data("facility-map-data");
    var element = document.getElementById("facility-map");
    if (!d || !element) return;
    var map = YiyangMap.create(element, {zoom: 11});
    var points = [];
    d.markers.forEach(function (m) {
      if (!m.at) return;
      var building = m.status === "planned" || m.status === "under_construction";
      L.circleMarker(m.at, {
        radius: 6, color: m.colour, weight: 2, fillColor: m.colour,
        fillOpacity: building ? 0 : (m.status === "open" ? 0.8 : 0.3),
        dashArray: building ? "3 3" : null,
        className: "facility-marker status-" + m.status
      }).bindTooltip(tip([m.name, m.kindLabel, d.texts.status + ": " + m.statusLabel])).addTo(map);
      points.push(m.at);
    });
    fit(map, points);
  }

  function shade(share) {
    if (share === null || share === undefined) return "#bdbdbd";
    var r = Math.round(198 + (46 - 198) * share), g = Math.round(40 + (125 - 40) * share),
      b = Math.round(40 + (50 - 40) * share);
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  function coverageMap() {
    var d = data("coverage-map-data");
    var element = document.getElementById("coverage-map");
    if (!d || !element) return;
    var map = YiyangMap.create(element, {zoom: 12});
    var points = [];
    d.hexagons.forEach(function (h) {
      var g = h.groups ? h.groups[d.group] : null;
      var share = g && g.elders ? g.covered / g.elders : null;
      var lines = g ? [d.texts.elders + ": " + g.elders, d.texts.covered + ": " + g.covered] : [d.texts.few];
      L.polygon(h.outline, {
        color: "#555", weight: 0.5, fillColor: shade(share), fillOpacity: 0.55,
        className: "coverage-cell" + (g ? "" : " coverage-cell-few")
      }).bindTooltip(tip([""].concat(lines))).addTo(map);
      h.outline.forEach(function (p) { points.push(p); });
    });
    fit(map, points);
  }

  function planMap() {
    var d = data("plan-map-data");
    var element = document.getElementById("plan-map");
    if (!d || !element) return;
    var map = YiyangMap.create(element, {zoom: 12});
    var points = [];
    [["greedy", "#ef6c00", 11], ["exact", "#1565c0", 7]].forEach(function (spec) {
      (d[spec[0]] || []).forEach(function (s, i) {
        var at = [s.lat, s.lng];
        L.circleMarker(at, {
          radius: spec[2], color: spec[1], weight: 3, fillOpacity: spec[0] === "exact" ? 0.7 : 0,
          className: "plan-site plan-site-" + spec[0]
        }).bindTooltip(tip([(i + 1) + ". " + s.name, d.texts[spec[0]],
          d.texts.elders + ": " + s.elders])).addTo(map);
        points.push(at);
      });
    });
    fit(map, points);
  }

  function start() {
    if (!window.L || !window.YiyangMap) return;
    facilityMap();
    coverageMap();
    planMap();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
