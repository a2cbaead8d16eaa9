// The alert panel's map: the elder's home, where the alarm came from and where the elder's
// devices were last (data in #alert-map-data, drawn with the shared YiyangMap helper).
(function () {
  "use strict";
  var COLOURS = {home: "#1a73e8", alarm: "#d93025", device: "#f29900"};

  function dot(map, point, kind, text) {
    var marker = L.circleMarker([point.lat, point.lng], {
      radius: kind === "home" ? 9 : 7, color: COLOURS[kind], weight: 3,
      fillColor: COLOURS[kind], fillOpacity: kind === "home" ? 0.25 : 0.6
    }).addTo(map);
    marker.bindTooltip(text, {permanent: kind !== "device", direction: "top"});
    marker.getElement().setAttribute("data-kind", kind);
    return [point.lat, point.lng];
  }

  function init() {
    var element = document.getElementById("alert-map");
    var source = document.getElementById("alert-map-data");
    if (!element || !source || element.dataset.ready || !window.YiyangMap) return;
    element.dataset.ready = "1";
    var data = JSON.parse(source.textContent);
    var first = data.alarm || data.home || data.devices[0];
    var map = YiyangMap.create(element, {center: [first.lat, first.lng], zoom: 15});
    var points = [];
    if (data.home) points.push(dot(map, data.home, "home", element.dataset.homeLabel + (data.home.label ? " · " + data.home.label : "")));
    if (data.alarm) points.push(dot(map, data.alarm, "alarm", element.dataset.alarmLabel + " " + data.alarm.seen));
    data.devices.forEach(function (d) {
      points.push(dot(map, d, "device", d.label + (d.seen ? " · " + d.seen : "")));
    });
    YiyangMap.fit(map, points, 40);
    element.yiyangMap = map;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  window.addEventListener("load", init);
})();
