// Guide form helpers: a live character count for the description, and tag suggestions
// from existing tags for the tag being typed (the text after the last comma).
(function () {
  "use strict";

  function counter(field) {
    var note = document.createElement("div");
    note.className = "help char-count";
    note.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", note);
    function update() { note.textContent = field.value.length + " characters"; }
    field.addEventListener("input", update);
    update();
  }

  function tagSuggestions(input) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("list", list.id);
    var pending = null;
    input.addEventListener("input", function () {
      var parts = input.value.split(",");
      var current = parts[parts.length - 1].trim();
      var head = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean);
      clearTimeout(pending);
      if (!current) { list.replaceChildren(); return; }
      pending = setTimeout(function () {
        fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(current), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {tags: []}; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.tags.map(function (name) {
              var option = document.createElement("option");
              option.value = head.concat([name]).join(", ");
              option.label = name;
              return option;
            }));
          });
      }, 150);
    });
  }

  // Side by side: the preview shown as the public page shows the text. markdownx renders
  // into its own element; a copy goes into a shadow root holding the public page's
  // stylesheets (the template #preview-styles), where none of the admin's styles reach.
  // The copy follows the text's scroll position; its code blocks scroll by keyboard.
  function sideBySide(box) {
    var editor = box.querySelector("textarea.markdownx-editor");
    var source = box.querySelector(".markdownx-preview");
    var styles = document.getElementById("preview-styles");
    if (!editor || !source) return;
    var preview = source, content = source;
    if (styles && source.attachShadow) {
      preview = document.createElement("div");
      preview.className = "preview-page";
      var root = preview.attachShadow({ mode: "open" });
      root.appendChild(styles.content.cloneNode(true));
      content = document.createElement("div");
      content.className = "prose";
      root.appendChild(content);
      source.classList.add("mirrored");
      source.after(preview);
    } else {
      source.classList.add("prose");
    }
    preview.setAttribute("aria-live", "polite");
    preview.setAttribute("role", "region");
    preview.setAttribute("aria-label", "Preview");

    function update() {
      if (content !== source) content.innerHTML = source.innerHTML;  // markdownx's safe HTML
      content.querySelectorAll("pre, table").forEach(function (block) {
        if (block.tagName === "PRE" || block.scrollWidth > block.clientWidth) {
          block.tabIndex = 0;
          block.setAttribute("role", "region");
          block.setAttribute("aria-label", block.tagName === "PRE" ? "Code" : "Table");
        }
      });
    }
    new MutationObserver(update).observe(source, { childList: true, subtree: true });
    update();
    editor.addEventListener("scroll", function () {
      var range = editor.scrollHeight - editor.clientHeight;
      var ratio = range > 0 ? editor.scrollTop / range : 0;
      preview.scrollTop = ratio * (preview.scrollHeight - preview.clientHeight);
    });
  }

  // Nothing typed is lost: the form's text is kept in this browser (per guide) as it is
  // typed, and offered back after a reload, a navigation or a login, until a save makes
  // the form say the same.
  var KEPT = ["title", "slug", "description", "created_on", "image", "tag_labels", "body"];

  function keepDrafts(form) {
    var key = "guides-unsaved:" + window.location.pathname;
    var fields = KEPT.map(function (name) { return form.elements[name]; }).filter(Boolean);
    if (!fields.length || !window.localStorage) return;
    var version = form.elements.loaded_version;

    function current() {
      var values = {};
      fields.forEach(function (field) { values[field.name] = field.value; });
      return values;
    }
    function same(a, b) {
      return KEPT.every(function (name) { return (a[name] || "") === (b[name] || ""); });
    }
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    if (stored && same(stored.values, current())) {
      localStorage.removeItem(key);
      stored = null;
    }
    if (stored) offer(stored);

    var pending = null;
    form.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(save, 400);
    });
    form.addEventListener("submit", save);
    window.addEventListener("pagehide", save);

    function save() {
      clearTimeout(pending);
      var values = current();
      if (stored && same(values, stored.values)) return;
      var entry = {
        values: values,
        savedAt: new Date().toISOString(),
        version: version ? version.value : "",
      };
      try { localStorage.setItem(key, JSON.stringify(entry)); } catch (e) { /* full: keep typing */ }
    }

    function offer(entry) {
      var note = document.createElement("div");
      note.className = "unsaved-offer";
      note.setAttribute("role", "alert");
      var when = new Date(entry.savedAt);
      var text = document.createElement("p");
      text.textContent = "This browser kept changes you made here that were not saved (" +
        when.toLocaleString() + "). ";
      var restore = document.createElement("button");
      restore.type = "button";
      restore.className = "button";
      restore.textContent = "Restore my unsaved changes";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button";
      discard.textContent = "Discard them";
      restore.addEventListener("click", function () {
        fields.forEach(function (field) {
          if (field.name in entry.values) {
            field.value = entry.values[field.name];
            field.dispatchEvent(new Event("input", { bubbles: true }));
            field.dispatchEvent(new Event("change", { bubbles: true }));
          }
        });
        // Saving checks against the version the text was typed over (catalog.admin).
        if (version && entry.version) version.value = entry.version;
        note.remove();
      });
      discard.addEventListener("click", function () {
        localStorage.removeItem(key);
        stored = null;
        note.remove();
      });
      note.appendChild(text);
      note.appendChild(restore);
      note.appendChild(discard);
      form.insertBefore(note, form.firstChild);
    }
  }

  // A list thumbnail that cannot load (a diagram on an unreachable host) leaves an empty
  // slot, not a broken-image sign.
  document.addEventListener("error", function (event) {
    var img = event.target;
    if (img && img.tagName === "IMG" && img.classList.contains("list-thumb")) {
      img.removeAttribute("src");
      img.classList.add("missing");
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea.counted").forEach(counter);
    document.querySelectorAll("input.tag-input[data-suggest-url]").forEach(tagSuggestions);
    document.querySelectorAll(".field-body .markdownx").forEach(sideBySide);
    var form = document.getElementById("guide_form");
    if (form) keepDrafts(form);
  });
})();
