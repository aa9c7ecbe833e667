// Public pages: a neat placeholder for images that do not load; diagrams that zoom in place
// (click, tap, Enter or Space; Escape or the close button closes; tap again for full size,
// pan by scrolling, pinch as the browser does); code blocks with their language, a copy
// button and keyboard scrolling; a table of contents that follows the reader; "/" to search;
// a theme chosen with the toggle, remembered per browser. Without this script a diagram's
// link still opens the image itself, and the system's theme applies.
(function () {
  "use strict";

  var THEME_KEY = "guides-theme", THEMES = ["auto", "light", "dark"];

  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY) || "auto"; } catch (e) { return "auto"; }
  }

  function applyTheme(theme) {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    pictureSchemes(theme);
  }

  // A diagram drawn for each colour scheme (a <picture> whose <source media> names
  // prefers-color-scheme, as GitHub shows one) follows the theme chosen with the toggle, not
  // only the system's: the chosen scheme's source always matches, the other's never.
  var SCHEME_RE = /\(\s*prefers-color-scheme\s*:\s*(light|dark)\s*\)/gi;
  function pictureSchemes(theme) {
    document.querySelectorAll("picture > source[media]").forEach(function (source) {
      var written = source.getAttribute("data-media");
      if (written === null) {
        written = source.getAttribute("media");
        if (written.search(SCHEME_RE) < 0) return;
        source.setAttribute("data-media", written);
      }
      source.setAttribute("media", theme !== "light" && theme !== "dark" ? written :
        written.replace(SCHEME_RE, function (feature, scheme) {
          return scheme.toLowerCase() === theme ? "(min-width: 0px)" : "(max-width: 0px)";
        }));
    });
  }

  applyTheme(storedTheme());  // in <head>, before the page is drawn: no flash of the other

  function themeToggle() {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    function show(theme) {
      button.textContent = "Theme: " + theme;
      button.setAttribute("aria-label", "Colour theme: " + theme +
        (theme === "auto" ? " (as the system)" : "") + ". Change");
    }
    show(storedTheme());
    button.hidden = false;
    button.addEventListener("click", function () {
      var next = THEMES[(THEMES.indexOf(storedTheme()) + 1) % THEMES.length];
      try {
        if (next === "auto") localStorage.removeItem(THEME_KEY);
        else localStorage.setItem(THEME_KEY, next);
      } catch (e) { /* private mode: for this page only */ }
      applyTheme(next);
      show(next);
    });
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || (dialog && dialog.open)) return;
    var search = document.getElementById("site-search");
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  function codeBlocks() {
    document.querySelectorAll(".prose .codehilite").forEach(function (block) {
      var pre = block.querySelector("pre");
      if (!pre) return;
      var named = /(?:^|\s)language-(\S+)/.exec(block.className);
      var bar = document.createElement("div");
      bar.className = "code-bar";
      var label = document.createElement("span");
      label.className = "code-lang";
      label.textContent = named ? named[1] : "";
      var copy = document.createElement("button");
      copy.type = "button";
      copy.className = "code-copy";
      copy.textContent = "Copy";
      copy.setAttribute("aria-label", "Copy the code" + (named ? " (" + named[1] + ")" : ""));
      copy.addEventListener("click", function () {
        copyText(pre.innerText.replace(/\n$/, ""), copy);
      });
      bar.appendChild(label);
      bar.appendChild(copy);
      block.insertBefore(bar, pre);
      pre.tabIndex = 0;  // a wide block scrolls with the arrow keys
      pre.setAttribute("role", "region");
      pre.setAttribute("aria-label", "Code" + (named ? ": " + named[1] : ""));
    });
    document.querySelectorAll(".prose table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth) {
        table.tabIndex = 0;
        table.setAttribute("role", "region");
        table.setAttribute("aria-label", "Table (scrolls sideways)");
      }
    });
  }

  function copyText(text, button) {
    function done(ok) {
      button.textContent = ok ? "Copied" : "Press Ctrl+C";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var area = document.createElement("textarea");  // plain http: the older way
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    done(ok);
  }

  // The table of contents marks the section being read: the last heading above the top
  // third of the window; or the section the address names (a link to it, from this page or
  // from GitHub: its heading's id or its permalink's) while that heading is in the top third,
  // though the sections after it may be there too.
  function followingToc() {
    var links = document.querySelectorAll(".toc a[href^='#']");
    if (!links.length) return;
    var entries = [];
    links.forEach(function (link) {
      var heading = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (heading) entries.push({ link: link, heading: heading });
    });
    function named() {
      var id = decodeURIComponent(window.location.hash.slice(1));
      var target = id && document.getElementById(id);
      return target ? target.closest("h1, h2, h3, h4, h5, h6") : null;
    }
    function mark() {
      var current = null, line = window.innerHeight / 3, target = named();
      entries.forEach(function (entry) {
        if (entry.heading.getBoundingClientRect().top <= line) current = entry;
      });
      entries.forEach(function (entry) {
        var box = entry.heading.getBoundingClientRect();
        if (entry.heading === target && box.bottom > 0 && box.top <= line) current = entry;
      });
      entries.forEach(function (entry) {
        if (entry === current) entry.link.setAttribute("aria-current", "location");
        else entry.link.removeAttribute("aria-current");
      });
    }
    var pending = false;  // once per frame, however many scroll events come
    window.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; mark(); });
    }, { passive: true });
    window.addEventListener("hashchange", mark);
    mark();
  }

  function placeholder(img) {
    if (img.dataset.missing) return;
    img.dataset.missing = "1";
    var box = document.createElement("span");
    if (img.classList.contains("category-icon")) {
      box.className = "category-icon category-icon--placeholder";
      box.setAttribute("aria-hidden", "true");
      box.textContent = img.dataset.initial || "";
    } else if (img.classList.contains("card-thumb") || img.classList.contains("result-thumb")) {
      // A card's picture is decoration: one that fails looks like a card without one.
      box.className = img.classList.contains("card-thumb") ? "card-thumb card-thumb--empty" : "";
      box.setAttribute("aria-hidden", "true");
      if (!box.className) { img.remove(); return; }
    } else {
      var label = img.getAttribute("alt") || "Image unavailable";
      box.className = "img-missing";
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
    zoomed.addEventListener("click", function (event) {
      // Full size (at least twice the window's width, so that a phone gets a real
      // enlargement), scrolled to the point tapped; pan by scrolling. Tap again to fit.
      var box = zoomed.getBoundingClientRect();
      var x = (event.clientX - box.left) / box.width, y = (event.clientY - box.top) / box.height;
      if (dialog.classList.toggle("zoom-full")) {
        zoomed.style.width = Math.max(zoomed.naturalWidth, window.innerWidth * 2) + "px";
        dialog.scrollLeft = x * zoomed.offsetWidth - window.innerWidth / 2;
        dialog.scrollTop = y * zoomed.offsetHeight - window.innerHeight / 2;
      } else {
        zoomed.style.width = "";
      }
    });
    dialog.appendChild(close);
    dialog.appendChild(zoomed);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();  // a click outside the image
    });
    dialog.addEventListener("close", function () {
      dialog.classList.remove("zoom-full");
      zoomed.style.width = "";
      if (opener) opener.focus();
    });
    document.body.appendChild(dialog);
  }

  function zoom(img, from, full) {
    if (!dialog) buildDialog();
    opener = from;
    // the full-size image, not a smaller srcset copy; of a <picture>, the one it shows
    zoomed.src = full || (img.parentElement.tagName === "PICTURE" ? img.currentSrc : img.src);
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
    pictureSchemes(storedTheme());
    scanBroken();
    zoomable();
    codeBlocks();
    followingToc();
    themeToggle();
  });
})();
