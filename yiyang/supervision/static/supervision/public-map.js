// Draws the public page's facilities on the city map (points come through json_script).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("public-map");
    var data = document.getElementById("public-points");
    if (!element || !data || !window.YiyangMap) return;
    var points = JSON.parse(data.textContent);
    if (!points.length) { element.hidden = true; return; }
    var map = window.YiyangMap.create(element, {center: [points[0].lat, points[0].lng], zoom: 12});
    points.forEach(function (p) {
      var label = p.name + (p.level !== null ? " " + p.level + "\u2605" : "");
      L.marker([p.lat, p.lng], {title: label}).bindTooltip(label).addTo(map);
    });
    window.YiyangMap.fit(map, points.map(function (p) { return [p.lat, p.lng]; }));
  });
})();
