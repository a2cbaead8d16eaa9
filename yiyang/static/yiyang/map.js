/* Yiyang maps: one way to make a Leaflet map everywhere (alert console, dispatch plans).
 *
 * YiyangMap.create(element, {center: [lat, lng], zoom: 13}) returns a Leaflet map with the
 * city's tile layer when one is configured (YIYANG_MAP_TILE_URL); without one, the map has no
 * base layer and shows a light grid, so markers and routes still read (tests, offline demos).
 */
(function () {
  "use strict";
  function config() {
    var node = document.getElementById("yiyang-map-config");
    if (!node) return {};
    try { return JSON.parse(node.textContent); } catch (e) { return {}; }
  }
  function create(element, options) {
    options = options || {};
    var map = L.map(element, {zoomControl: true, attributionControl: true});
    var cfg = config();
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, {maxZoom: 19, attribution: cfg.attribution || ""}).addTo(map);
    } else {
      element.classList.add("yiyang-map-plain");
    }
    map.setView(options.center || [34.75, 113.62], options.zoom || 12);
    return map;
  }
  function fit(map, latlngs, padding) {
    var points = (latlngs || []).filter(function (p) { return p && isFinite(p[0]) && isFinite(p[1]); });
    if (points.length === 1) map.setView(points[0], 15);
    else if (points.length > 1) map.fitBounds(L.latLngBounds(points), {padding: [padding || 24, padding || 24]});
  }
  window.YiyangMap = {create: create, fit: fit};
})();
