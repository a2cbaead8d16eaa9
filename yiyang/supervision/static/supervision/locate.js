// Fills the inspection form's location from the tablet's position, when it gives one.
(function () {
  "use strict";
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (p) {
    var lat = document.getElementById("lat"), lng = document.getElementById("lng");
    if (lat && lng) { lat.value = p.coords.latitude.toFixed(6); lng.value = p.coords.longitude.toFixed(6); }
  });
})();
