/* Behaviour every page may use, kept out of the HTML so that the Content-Security-Policy can
   forbid inline scripts and styles:
   - [data-print] buttons print the page;
   - [data-left] / [data-width] (percent), [data-colour] (background) and [data-edge-colour]
     (left border) position and colour timeline blocks and swatches through the style object,
     which the policy allows (a style="" attribute it does not). Content htmx swaps in is
     handled as it arrives;
   - a [data-auto-download] link that htmx swaps in (an export that has just finished) is
     followed once, so the file downloads without another click;
   - a table wrapper that scrolls sideways takes the keyboard focus (tabindex 0), so that
     people without a mouse can scroll it too;
   - the folded main menu is unfolded on screens wider than a phone. */
(function () {
  "use strict";

  function place(root) {
    var items = root.querySelectorAll
      ? root.querySelectorAll("[data-left],[data-width],[data-colour],[data-edge-colour]")
      : [];
    Array.prototype.forEach.call(items, function (el) {
      var d = el.dataset;
      if (d.left !== undefined && d.left !== "") el.style.left = d.left + "%";
      if (d.width !== undefined && d.width !== "") el.style.width = d.width + "%";
      if (d.colour) el.style.background = d.colour;
      if (d.edgeColour) el.style.borderLeftColor = d.edgeColour;
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
  function autoDownload(root) {
    var link = root.matches && root.matches("[data-auto-download]")
      ? root : root.querySelector && root.querySelector("[data-auto-download]");
    if (link && !link.dataset.followed) {
      link.dataset.followed = "1";
      link.click();
    }
  }

  function focusableScrollers(root) {
    var wraps = root.querySelectorAll ? root.querySelectorAll(".table-wrap") : [];
    Array.prototype.forEach.call(wraps, function (el) {
      if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
      }
    });
  }

  // The folded main menu (#navfold) opens by itself on screens wider than a phone, for
  // browsers whose stylesheet cannot unfold a closed <details>.
  function unfoldMenu() {
    var fold = document.getElementById("navfold");
    if (fold && window.matchMedia && window.matchMedia("(min-width: 641px)").matches) {
      fold.open = true;
    }
  }
  unfoldMenu();

  function ready(root) {
    place(root);
    focusableScrollers(root);
  }

  document.addEventListener("htmx:load", function (event) {
    ready(event.target);
    autoDownload(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { ready(document); });
  } else {
    ready(document);
  }
})();
