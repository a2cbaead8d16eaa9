/* The dashboard: draws each chart from the page's JSON (the same numbers as the tables),
 * the choropleth of the divisions below (click one to drill down) and the sparklines. */
(function () {
  "use strict";
  function json(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }
  function charts(data) {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      YiyangCharts.draw(el, el.getAttribute("data-kind"), data[el.getAttribute("data-chart")]);
    });
    var sparks = json("dashboard-sparks") || [];
    document.querySelectorAll("[data-spark]").forEach(function (el) {
      var values = sparks[Number(el.getAttribute("data-spark"))];
      if (values && values.some(function (v) { return v !== null; })) YiyangCharts.draw(el, "spark", values);
    });
  }
  function legend(map, min, max, ranking) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      // Built through the DOM (not innerHTML with style attributes): the CSP forbids inline styles.
      var div = L.DomUtil.create("div", "map-legend");
      var title = L.DomUtil.create("strong", "", div);
      title.textContent = ranking.unit;
      var steps = 4;
      for (var i = 0; i <= steps; i++) {
        var v = min + (max - min) * i / steps;
        var row = L.DomUtil.create("div", "", div);
        var swatch = L.DomUtil.create("i", "", row);
        swatch.style.background = YiyangCharts.shade(v, min, max, ranking.direction !== "lower");
        var shown = max - min >= 20 ? Math.round(v) : Math.round(v * 10) / 10;
        row.appendChild(document.createTextNode(shown.toLocaleString()));
      }
      return div;
    };
    control.addTo(map);
  }
  function choropleth(data) {
    var el = document.getElementById("choropleth");
    if (!el || !data.ranking) return;
    var ranking = data.ranking, values = ranking.values;
    var numbers = Object.keys(values).map(function (k) { return values[k].value; }).filter(function (v) { return v !== null; });
    var min = numbers.length ? Math.min.apply(null, numbers) : 0, max = numbers.length ? Math.max.apply(null, numbers) : 0;
    var map = YiyangMap.create(el, {zoom: 10});
    fetch(data.boundariesUrl, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error("boundaries: HTTP " + r.status);
      return r.json();
    }).then(function (geo) {
      var children = (geo.features || []).filter(function (f) { return !f.properties.parent; });
      var layer = L.geoJSON({type: "FeatureCollection", features: children}, {
        style: function (f) {
          var v = values[f.properties.code];
          return {color: "#3b4a5a", weight: 1, fillOpacity: 0.75, fillColor: YiyangCharts.shade(v ? v.value : null, min, max, ranking.direction !== "lower")};
        },
        onEachFeature: function (f, l) {
          var v = values[f.properties.code];
          l.bindTooltip(f.properties.name + ": " + (v ? v.display : "—") + " " + ranking.unit, {sticky: true});
          l.on("click", function () { window.location.href = data.drillUrl + encodeURIComponent(f.properties.id); });
        }
      }).addTo(map);
      el.setAttribute("data-boundaries", String(children.length));
      legend(map, min, max, ranking);
      // Fitting needs the container's size: a map laid out late (or hidden) is fitted when
      // Leaflet learns its size rather than throwing on a zero-sized box.
      if (children.length) {
        map.invalidateSize();
        try { map.fitBounds(layer.getBounds(), {padding: [8, 8]}); } catch (e) { map.whenReady(function () { map.fitBounds(layer.getBounds()); }); }
      }
    }).catch(function (error) {
      // The outlines could not be read: say so on the map rather than leave it blank.
      el.setAttribute("data-boundaries-error", String(error && error.message || error));
      var note = L.control({position: "topright"});
      note.onAdd = function () {
        var div = L.DomUtil.create("div", "map-legend");
        div.textContent = el.getAttribute("data-unavailable") || "";
        return div;
      };
      note.addTo(map);
    });
  }
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var data = json("dashboard-data") || {};
    autosubmit();
    charts(data);
    choropleth(data);
  });
})();
