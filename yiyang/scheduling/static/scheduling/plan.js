/* The optimiser's plan page: each caregiver's route on the map (today's plan or the
 * proposal), and the accept form's checkboxes kept in step (a route ticks its visits). */
(function () {
  "use strict";

  function text(lines) {
    // tooltips built from nodes: names and addresses are never read as HTML
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      if (!line) return;
      var part = document.createElement(i ? "div" : "strong");
      part.textContent = line;
      box.appendChild(part);
    });
    return box;
  }

  function stopIcon(colour, label, extra, shift) {
    var span = document.createElement("span");
    span.style.background = colour;
    span.textContent = String(label);
    // visits at the same home sit side by side instead of on top of each other
    return L.divIcon({
      className: "plan-stop" + (extra ? " " + extra : ""), html: span,  // a node: no inline style text (CSP)
      iconSize: [22, 22], iconAnchor: [11 - 16 * (shift || 0), 11],
    });
  }

  function stacker() {
    var seen = {};
    return function (at) {
      var key = at[0].toFixed(5) + "," + at[1].toFixed(5);
      seen[key] = (seen[key] || 0) + 1;
      return seen[key] - 1;
    };
  }

  function drawMap() {
    var node = document.getElementById("plan-map-data");
    var element = document.getElementById("plan-map");
    if (!node || !element || !window.L || !window.YiyangMap) return;
    var data = JSON.parse(node.textContent);
    var t = data.texts;
    var byId = {};
    data.visits.forEach(function (v) { byId[v.id] = v; });
    var map = YiyangMap.create(element, {zoom: 13});
    var layers = {now: L.layerGroup(), "new": L.layerGroup()};
    var points = [];

    Object.keys(layers).forEach(function (which) {
      var group = layers[which];
      var placed = {};
      var shift = stacker();
      data.routes.forEach(function (route) {
        var ids = route[which] || [];
        if (!ids.length) return;
        var line = route.home ? [route.home] : [];
        ids.forEach(function (id, i) {
          var v = byId[id];
          if (!v) return;
          placed[id] = true;
          line.push(v.at);
          var plan = which === "new" ? v["new"] : v.now;
          var marker = L.marker(v.at, {
            icon: stopIcon(
              route.colour, i + 1, which === "new" && v.changed ? "changed" : "", shift(v.at)
            ),
            keyboard: false,
          });
          marker.bindTooltip(text([
            v.elder + " · " + v.service, t.window + " " + v.window,
            t.start + " " + plan.start + " · " + route.name,
          ]));
          marker.on("add", function () {
            var el = marker.getElement();
            if (el) { el.dataset.visit = id; el.dataset.route = route.id; }
          });
          marker.addTo(group);
        });
        if (route.home) {
          line.push(route.home);
          points.push(route.home);
          L.circleMarker(route.home, {
            radius: 5, color: route.colour, fillColor: "#fff", fillOpacity: 1, weight: 3,
            className: "plan-home",
          }).bindTooltip(text([t.home + " · " + route.name])).addTo(group);
        }
        L.polyline(line, {
          color: route.colour, weight: 3, opacity: 0.85,
          className: "plan-route plan-route-" + which,
        }).addTo(group);
      });
      data.visits.forEach(function (v) {
        points.push(v.at);
        if (placed[v.id]) return;
        var marker = L.marker(v.at, {
          icon: stopIcon(data.unassignedColour, "!", "unplanned", shift(v.at)), keyboard: false,
        });
        marker.bindTooltip(text([v.elder + " · " + v.service, t.window + " " + v.window, t.notPlanned, v.reason]));
        marker.on("add", function () {
          var el = marker.getElement();
          if (el) el.dataset.visit = v.id;
        });
        marker.addTo(group);
      });
    });

    var shown = "new";
    layers[shown].addTo(map);
    element.dataset.showing = shown;
    YiyangMap.fit(map, points);
    document.querySelectorAll("input[name=map_view]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (!radio.checked || radio.value === shown) return;
        map.removeLayer(layers[shown]);
        shown = radio.value;
        layers[shown].addTo(map);
        element.dataset.showing = shown;
      });
    });
  }

  function syncTicks() {
    var visits = Array.prototype.slice.call(document.querySelectorAll("input[name=visits]"));
    var routes = document.querySelectorAll("input[name=caregivers]");
    function routesOf(box) { return (box.dataset.routes || "").split(" ").filter(Boolean); }
    routes.forEach(function (route) {
      route.addEventListener("change", function () {
        visits.forEach(function (box) {
          if (routesOf(box).indexOf(route.value) >= 0) box.checked = route.checked;
        });
      });
    });
    visits.forEach(function (box) {
      box.addEventListener("change", function () {
        if (box.checked) return;
        routes.forEach(function (route) {
          if (routesOf(box).indexOf(route.value) >= 0) route.checked = false;
        });
      });
    });
    var all = document.getElementById("plan-tick-all");
    if (all) {
      all.addEventListener("change", function () {
        visits.forEach(function (box) { box.checked = all.checked; });
        if (!all.checked) routes.forEach(function (route) { route.checked = false; });
      });
    }
  }

  function start() {
    drawMap();
    syncTicks();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
