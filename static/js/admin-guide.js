// Guide form helpers: a live character count for the description, tag suggestions from
// existing tags for the tag being typed (the text after the last comma), the preview as the
// page shows it, image uploads that ask for alt text, Ctrl/Cmd+S, and nothing typed lost.
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

  // Images dropped or pasted into the text: uploaded one at a time with their progress shown,
  // each inserted as a paragraph of its own (blank lines around it, so it never joins a list
  // item or the image before it), then the editor is asked for its alt text. This replaces
  // markdownx's own upload handling (same upload URL and checks on the server).
  function imageUploads(box) {
    var editor = box.querySelector("textarea.markdownx-editor");
    var url = editor && editor.getAttribute("data-markdownx-upload-urls-path");
    if (!url) return;
    var panel = document.createElement("div");
    panel.className = "upload-panel";
    panel.setAttribute("role", "status");
    panel.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", panel);
    var queue = [], busy = false, counter = 0;

    function changed() { editor.dispatchEvent(new Event("input", { bubbles: true })); }

    function insertBlock(text) {
      var value = editor.value, start = editor.selectionStart, end = editor.selectionEnd;
      var before = value.slice(0, start), after = value.slice(end);
      var lead = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      var trail = /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
      editor.value = before + lead + text + trail + after;
      var caret = (before + lead + text + trail).length;
      editor.setSelectionRange(caret, caret);
      changed();
    }

    // Setting the value puts the caret at the end: keep it where the editor had it, moved
    // by the change when it was after the replaced text (the next image goes there too).
    function replace(placeholder, text) {
      var at = editor.value.indexOf(placeholder);
      if (at < 0) return;
      var shift = text.length - placeholder.length;
      var keep = function (pos) {
        return pos >= at + placeholder.length ? pos + shift : Math.min(pos, at + text.length);
      };
      var start = keep(editor.selectionStart), end = keep(editor.selectionEnd);
      editor.value = editor.value.slice(0, at) + text + editor.value.slice(at + placeholder.length);
      editor.setSelectionRange(start, end);
      changed();
    }

    function csrf() {
      var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
      var field = document.querySelector("input[name=csrfmiddlewaretoken]");
      return match ? decodeURIComponent(match[1]) : field ? field.value : "";
    }

    function show(nodes) { panel.replaceChildren.apply(panel, nodes); }

    function text(tag, content, className) {
      var el = document.createElement(tag);
      el.textContent = content;
      if (className) el.className = className;
      return el;
    }

    function askAlt(link) {
      var label = text("label", "Describe the image for readers who cannot see it (alt text):");
      var input = document.createElement("input");
      input.type = "text";
      input.className = "vTextField upload-alt";
      input.id = "upload-alt-" + counter;
      label.htmlFor = input.id;
      var add = text("button", "Add description", "button");
      add.type = "button";
      var skip = text("button", "Leave empty", "button");
      skip.type = "button";
      function done(alt) {
        if (alt) replace(link, link.replace("![]", "![" + alt.replace(/[\[\]\\]/g, "\\$&") + "]"));
        show([]);
        editor.focus();
        next();
      }
      add.addEventListener("click", function () { done(input.value.trim()); });
      skip.addEventListener("click", function () { done(""); });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); done(input.value.trim()); }
        if (event.key === "Escape") { event.preventDefault(); done(""); }
      });
      show([label, input, add, skip]);
      input.focus();
    }

    function upload(file) {
      counter += 1;
      // GitHub's placeholder: an image with no address, which the preview shows by its text
      // and the browser never asks for (a relative one was a request for a page that is not
      // there, a 404, each time the preview showed it). The number keeps each one apart.
      var name = (file.name || "image").replace(/[\[\]\\]/g, "");
      var placeholder = "![Uploading " + name + " … (" + counter + ")]()";
      insertBlock(placeholder);
      var progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      var note = text("span", "Uploading " + (file.name || "the image") + "…");
      show([note, progress]);
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrf());
      body.append("image", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          progress.value = Math.round(100 * event.loaded / event.total);
          note.textContent = "Uploading " + (file.name || "the image") + ": " + progress.value + "%";
        }
      });
      xhr.addEventListener("load", function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        var link = (data.image_code || "").replace(/^!\[[^\]]*\]/, "![]");
        if (xhr.status === 200 && link) {
          replace(placeholder, link);
          askAlt(link);
        } else {
          replace(placeholder, "");
          var problems = [].concat.apply([], Object.keys(data).map(function (k) { return data[k]; }));
          show([text("p", "The image was not uploaded: " + (problems.join(" ") || "the server said no (" + xhr.status + ")."), "errornote")]);
          next();
        }
      });
      xhr.addEventListener("error", function () {
        replace(placeholder, "");
        show([text("p", "The image was not uploaded: the site could not be reached.", "errornote")]);
        next();
      });
      xhr.send(body);
    }

    function next() {
      busy = queue.length > 0;
      if (busy) upload(queue.shift());
    }

    function take(event, files) {
      if (!files || !files.length) return;
      event.preventDefault();
      event.stopImmediatePropagation();  // markdownx's own handler inserts it without care
      Array.prototype.push.apply(queue, files);
      if (!busy) next();
    }
    editor.addEventListener("paste", function (event) {
      take(event, event.clipboardData && event.clipboardData.files);
    }, true);
    editor.addEventListener("drop", function (event) {
      take(event, event.dataTransfer && event.dataTransfer.files);
    }, true);
  }

  // The diagram field: a file chosen to replace the diagram is shown in its thumbnail.
  function diagramPreview(input) {
    var thumb = input.closest(".diagram-input").querySelector(".diagram-thumb");
    var shown = null;
    input.addEventListener("change", function () {
      if (shown) URL.revokeObjectURL(shown);
      shown = input.files.length ? URL.createObjectURL(input.files[0]) : null;
      if (shown) {
        thumb.src = shown;
        thumb.alt = "The chosen image";
        thumb.hidden = false;
      }
    });
  }

  // A new review link's copy button (the link is shown once, in the message after making it).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".copy-review-link");
    if (!button) return;
    var field = button.parentNode.querySelector(".review-url");
    function said(ok) {
      button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
      if (!ok) { field.focus(); field.select(); }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { said(true); }, function () { said(false); });
    } else {
      field.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      said(ok);
    }
  });

  // Ctrl+S (Cmd+S on a Mac) saves and keeps editing, as "Save and continue editing" does.
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "s") return;
    var save = document.querySelector("#content-main form input[name=_continue]");
    if (!save) return;
    event.preventDefault();
    save.click();
  });

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
    document.querySelectorAll(".field-body .markdownx").forEach(imageUploads);
    document.querySelectorAll(".diagram-input input[type=file]").forEach(diagramPreview);
    var form = document.getElementById("guide_form");
    if (form) keepDrafts(form);
  });
})();
