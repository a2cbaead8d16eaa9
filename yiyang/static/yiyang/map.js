/* Yiyang maps: one way to make a Leaflet map everywhere (alert console, dispatch plans,
 * the dashboard, the command-centre screen).
 *
 * YiyangMap.create(element, {center: [lat, lng], zoom: 13, dark: false}) returns a Leaflet
 * map with the city's tile layer when one is configured (YIYANG_MAP_TILE_URL). Without one,
 * the map draws the platform's own vector basemap under everything else: the division
 * outlines (imported with `yiyang import-boundaries`, or the demo city's) and the roads,
 * fetched once per page from the scoped basemap endpoint. Communities' outlines and local
 * roads appear from zoom 12 so a city-wide view stays readable.
 */
(function () {
  "use strict";
  var basemapPromise = null;
  function config() {
    var node = document.getElementById("yiyang-map-config");
    if (!node) return {};
    try { return JSON.parse(node.textContent); } catch (e) { return {}; }
  }
  function loadBasemap(url) {
    if (!basemapPromise) {
      basemapPromise = fetch(url, {credentials: "same-origin", headers: {"Accept": "application/geo+json"}})
        .then(function (r) { return r.ok ? r.json() : {features: []}; })
        .catch(function () { return {features: []}; });
    }
    return basemapPromise;
  }
  var LEVEL_STYLE = {
    city: {weight: 2.5, opacity: 0.9, fillOpacity: 0},
    district: {weight: 2, opacity: 0.8, fillOpacity: 0},
    street: {weight: 1.2, opacity: 0.6, fillOpacity: 0, dashArray: "4 3"},
    community: {weight: 0.6, opacity: 0.45, fillOpacity: 0}
  };
  var ROAD_STYLE = {expressway: {weight: 3.5, color: "#e0a458"}, arterial: {weight: 2.2, color: "#ffffff"}, local: {weight: 1, color: "#ffffff"}};
  function drawBasemap(map, data, dark) {
    var lineColour = dark ? "#6f8fb3" : "#7a8796";
    var minor = [];
    var boundaries = L.geoJSON(data, {
      pane: "yiyang-basemap",
      interactive: false,
      filter: function (f) { return f.properties && f.properties.kind === "boundary"; },
      style: function (f) {
        var s = LEVEL_STYLE[f.properties.level] || LEVEL_STYLE.community;
        return {color: lineColour, weight: s.weight, opacity: s.opacity, fill: false, dashArray: s.dashArray};
      },
      onEachFeature: function (f, layer) { if (f.properties.level === "community") minor.push(layer); }
    });
    var roads = L.geoJSON(data, {
      pane: "yiyang-roads",
      interactive: false,
      filter: function (f) { return f.properties && f.properties.kind === "road"; },
      style: function (f) {
        var s = ROAD_STYLE[f.properties.road] || ROAD_STYLE.local;
        var colour = dark ? (f.properties.road === "expressway" ? "#8a6a3c" : "#2b3d55") : s.color;
        return {color: colour, weight: s.weight, opacity: 0.95};
      },
      onEachFeature: function (f, layer) { if (f.properties.road === "local") minor.push(layer); }
    });
    roads.addTo(map);
    boundaries.addTo(map);
    function detail() {
      var show = map.getZoom() >= 12;
      minor.forEach(function (layer) { layer.setStyle({opacity: show ? (layer.feature.properties.kind === "road" ? 0.95 : 0.45) : 0}); });
    }
    map.on("zoomend", detail);
    detail();
    var count = data.features ? data.features.length : 0;
    map.getContainer().setAttribute("data-basemap-features", String(count));
    return boundaries;
  }
  function create(element, options) {
    options = options || {};
    var map = L.map(element, {zoomControl: true, attributionControl: true});
    var cfg = config();
    map.createPane("yiyang-roads").style.zIndex = 250;
    map.createPane("yiyang-basemap").style.zIndex = 260;
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, {maxZoom: 19, attribution: cfg.attribution || ""}).addTo(map);
      map.basemap = Promise.resolve(null);
    } else {
      element.classList.add(options.dark ? "yiyang-map-dark" : "yiyang-map-vector");
      map.basemap = cfg.basemapUrl
        ? loadBasemap(cfg.basemapUrl).then(function (data) { return drawBasemap(map, data, options.dark); })
        : Promise.resolve(null);
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
