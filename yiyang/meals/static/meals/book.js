// The booking form: the dish choice shows only the dishes on the menu of the chosen
// canteen, day and meal (the server checks the choice again).
(function () {
  "use strict";
  function filter() {
    var canteen = document.getElementById("booking-canteen");
    var day = document.getElementById("booking-day");
    var meal = document.getElementById("booking-meal");
    var dish = document.getElementById("booking-dish");
    var none = document.getElementById("no-dishes");
    if (!canteen || !day || !meal || !dish) return;
    var shown = 0;
    Array.prototype.forEach.call(dish.options, function (option) {
      if (!option.value) return;
      var match = option.dataset.canteen === canteen.value &&
        option.dataset.day === day.value && option.dataset.meal === meal.value;
      option.hidden = !match;
      option.disabled = !match;
      if (match) shown += 1;
      if (!match && option.selected) dish.value = "";
    });
    if (none) none.hidden = shown > 0;
  }
  document.addEventListener("DOMContentLoaded", function () {
    ["booking-canteen", "booking-day", "booking-meal"].forEach(function (id) {
      var element = document.getElementById(id);
      if (element) element.addEventListener("change", filter);
    });
    filter();
  });
})();
