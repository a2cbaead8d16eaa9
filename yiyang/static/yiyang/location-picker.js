/* The elder form's map picker: the home as a marker on the map.
 *
 * A click on the map or a drag of the marker writes the point into the latitude and
 * longitude fields (which sit folded below the map), so the saved point is the one placed.
 * "Find the address" asks the server where the address register puts the address of the
 * chosen community and shows it without filling the fields: left empty, the server locates
 * the home itself when the form is saved (and records that the point came from the register).
 */
(function () {
  "use strict";
  function number(input) {
    var value = input && input.value.trim() !== "" ? Number(input.value) : NaN;
    return isFinite(value) ? value : null;
  }
  function init() {
    var picker = document.getElementById("location-picker");
    if (!picker || !window.YiyangMap) return;
    var form = picker.closest("form");
    var lat = form.querySelector("input[name=lat]");
    var lng = form.querySelector("input[name=lng]");
    var community = form.querySelector("select[name=community]");
    var address = form.querySelector("input[name=address]");
    var status = document.getElementById("location-status");
    var start = number(lat) !== null && number(lng) !== null ? [number(lat), number(lng)] : null;
    var map = YiyangMap.create(document.getElementById("location-map"), {center: start || undefined, zoom: start ? 17 : 12});
    var marker = null;
    function show(point) {
      if (!marker) {
        marker = L.marker(point, {draggable: true, keyboard: true, title: picker.querySelector(".label").textContent});
        marker.on("dragend", function () { place(marker.getLatLng()); });
        marker.addTo(map);
      } else {
        marker.setLatLng(point);
      }
      map.setView(point, Math.max(map.getZoom(), 16));
    }
    function place(point) {
      lat.value = point.lat.toFixed(6);
      lng.value = point.lng.toFixed(6);
      show([point.lat, point.lng]);
      status.textContent = picker.dataset.placedText || "";
    }
    map.on("click", function (event) { place(event.latlng); });
    [lat, lng].forEach(function (input) {
      input.addEventListener("change", function () {
        if (number(lat) !== null && number(lng) !== null) show([number(lat), number(lng)]);
      });
    });
    function locate() {
      var option = community && community.selectedOptions[0];
      if (!option || !option.dataset.id) return;
      var url = picker.dataset.locateUrl + "?community=" + encodeURIComponent(option.dataset.id) +
        "&address=" + encodeURIComponent(address ? address.value : "");
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) {
          if (!found) return;
          status.textContent = found.message + (found.coordinates ? " " + found.coordinates : "");
          if (found.lat !== null && found.lng !== null) show([found.lat, found.lng]);
        });
    }
    document.getElementById("locate-address").addEventListener("click", locate);
    function locateWhenEmpty() { if (number(lat) === null) locate(); }
    if (address) address.addEventListener("change", locateWhenEmpty);
    if (community) community.addEventListener("change", locateWhenEmpty);
    if (start) show(start);
    else if (address && address.value) locate();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
