/* The command-centre screen: figures, the map with facilities and open alerts, today's
 * visits and the last hour's alerts. Live without a reload: the alert centre's event stream
 * triggers a refresh on every alert change, and the whole screen refreshes every 30 s. */
(function () {
  "use strict";
  var REFRESH_MS = 30000;
  var state = {data: null, map: null, facilities: null, alerts: null, seen: {}, timer: null};
  var words = ["Target"];
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function figures(list) {
    var box = document.querySelector("[data-figures]");
    box.replaceChildren();
    list.forEach(function (f) {
      var tile = el("div", "tile status-" + (f.status || "none"));
      tile.appendChild(el("div", "tile-name", f.name));
      var value = el("div", "tile-value", f.value);
      value.appendChild(el("small", "", " " + f.unit));
      tile.appendChild(value);
      var meta = el("div", "tile-meta", f.target ? words[0] + " " + f.target : "");
      if (f.status_label) meta.appendChild(el("span", "badge " + f.status, f.status_label));
      tile.appendChild(meta);
      if (f.note) tile.appendChild(el("div", "tile-note", f.note));
      box.appendChild(tile);
    });
  }
  function alerts(data) {
    var body = document.querySelector("[data-alerts]");
    body.replaceChildren();
    data.recent.forEach(function (a) {
      var row = el("tr", "priority-" + a.priority + (state.seen[a.id] ? "" : " fresh"));
      row.setAttribute("data-alert", a.id);
      [a.raised_at, a.kind, a.place, a.status_label].forEach(function (v) { row.appendChild(el("td", "", v)); });
      row.appendChild(el("td", "answer " + a.answer_class, a.answer_label));
      body.appendChild(row);
    });
    var first = !Object.keys(state.seen).length && state.data === null;
    data.recent.forEach(function (a) { state.seen[a.id] = true; });
    if (first) body.querySelectorAll(".fresh").forEach(function (r) { r.classList.remove("fresh"); });
    document.querySelector("[data-alerts-empty]").hidden = data.recent.length > 0;
  }
  function markers(data) {
    if (!state.map) return;
    state.facilities.clearLayers();
    state.alerts.clearLayers();
    data.facilities.forEach(function (f) {
      L.circleMarker([f.lat, f.lng], {radius: 3, color: "#39c5bb", weight: 1, fillOpacity: 0.7}).bindTooltip(f.name + " · " + f.kind_label).addTo(state.facilities);
    });
    data.alerts.active.forEach(function (a) {
      if (a.lat === null || a.lng === null) return;
      var colour = a.priority === 1 ? "#ff4d4f" : (a.priority === 2 ? "#ffb020" : "#8aa0b8");
      L.circleMarker([a.lat, a.lng], {radius: 9, color: colour, weight: 2, fillOpacity: 0.55, className: "alert-marker"})
        .bindTooltip(a.kind + " · " + a.place + " · " + a.raised_at).addTo(state.alerts);
    });
    document.getElementById("screen-map").setAttribute("data-open-alerts", String(data.alerts.active.length));
  }
  function render(data) {
    figures(data.figures);
    Object.keys(data.visits).forEach(function (k) {
      var node = document.querySelector('[data-visits="' + k + '"]');
      if (node) node.textContent = data.visits[k];
    });
    ["recent_count", "answered_60", "answered"].forEach(function (k) {
      document.querySelector('[data-field="' + k + '"]').textContent = data.alerts[k];
    });
    document.querySelector('[data-field="now"]').textContent = data.now;
    alerts(data.alerts);
    markers(data);
    state.data = data;
  }
  function refresh() {
    fetch(state.config.dataUrl, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { render(data); document.querySelector("[data-live]").classList.remove("stale"); })
      .catch(function () { document.querySelector("[data-live]").classList.add("stale"); });
  }
  var pending = null;
  function soon() { clearTimeout(pending); pending = setTimeout(refresh, 300); }
  function stream(url) {
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    source.addEventListener("change", soon);
    source.onerror = function () { document.querySelector("[data-live]").classList.add("stale"); };
    source.onopen = function () { document.querySelector("[data-live]").classList.remove("stale"); };
  }
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("screen-data");
    var wordNode = document.getElementById("screen-words");
    if (wordNode) words = JSON.parse(wordNode.textContent);
    state.config = JSON.parse(node.textContent);
    var mapEl = document.getElementById("screen-map");
    state.map = YiyangMap.create(mapEl, {center: state.config.centre, zoom: 10, dark: true});
    state.map.basemap.then(function (layer) {
      if (layer && layer.getLayers().length) state.map.fitBounds(layer.getBounds(), {padding: [12, 12]});
    });
    state.facilities = L.layerGroup().addTo(state.map);
    state.alerts = L.layerGroup().addTo(state.map);
    render(state.config);
    state.data = state.config;
    stream(state.config.streamUrl);
    state.timer = setInterval(refresh, REFRESH_MS);
  });
})();
