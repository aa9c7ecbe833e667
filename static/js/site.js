// Public pages: a neat placeholder for images that do not load, and diagrams that zoom in
// place (click, tap, Enter or Space; Escape or the close button closes). Without this
// script a diagram's link still opens the image itself.
(function () {
  "use strict";

  function placeholder(img) {
    if (img.dataset.missing) return;
    img.dataset.missing = "1";
    var box = document.createElement("span");
    if (img.classList.contains("category-icon")) {
      box.className = "category-icon category-icon--placeholder";
      box.setAttribute("aria-hidden", "true");
      box.textContent = img.dataset.initial || "";
    } else {
      var label = img.getAttribute("alt") || "Image unavailable";
      box.className = "img-missing" + (img.classList.contains("card-thumb") ? " card-thumb" : "");
      box.setAttribute("role", "img");
      box.setAttribute("aria-label", label);
      box.textContent = img.getAttribute("alt") ? label + " (image unavailable)" : label;
    }
    var link = img.closest("figure.diagram a");
    (link || img).replaceWith(box);
  }

  // Errors that happen after this script runs (lazy images), and those before it.
  document.addEventListener("error", function (event) {
    if (event.target && event.target.tagName === "IMG") placeholder(event.target);
  }, true);

  function scanBroken() {
    Array.prototype.forEach.call(document.images, function (img) {
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) placeholder(img);
    });
  }

  var dialog = null, zoomed = null, opener = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "zoom";
    dialog.setAttribute("aria-label", "Diagram, enlarged");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "zoom-close";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    zoomed = document.createElement("img");
    zoomed.className = "zoom-image";
    zoomed.addEventListener("click", function () { dialog.classList.toggle("zoom-full"); });
    dialog.appendChild(close);
    dialog.appendChild(zoomed);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();  // a click outside the image
    });
    dialog.addEventListener("close", function () {
      dialog.classList.remove("zoom-full");
      if (opener) opener.focus();
    });
    document.body.appendChild(dialog);
  }

  function zoom(img, from, full) {
    if (!dialog) buildDialog();
    opener = from;
    zoomed.src = full || img.src;  // the full-size image, not a smaller srcset copy
    zoomed.alt = img.alt;
    dialog.showModal();
    dialog.querySelector(".zoom-close").focus();
  }

  function zoomable() {
    var hero = document.querySelector("figure.diagram a");
    if (hero) {
      hero.addEventListener("click", function (event) {
        var img = hero.querySelector("img");
        if (!img || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        zoom(img, hero, hero.href);
      });
      hero.setAttribute("aria-haspopup", "dialog");
    }
    document.querySelectorAll(".prose img").forEach(function (img) {
      if (img.closest("a")) return;
      img.tabIndex = 0;
      img.setAttribute("role", "button");
      img.setAttribute("aria-label", (img.alt || "Diagram") + ": enlarge");
      img.classList.add("zoomable");
      img.addEventListener("click", function () { zoom(img, img); });
      img.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          zoom(img, img);
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scanBroken();
    zoomable();
  });
})();
