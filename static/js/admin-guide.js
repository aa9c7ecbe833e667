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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea.counted").forEach(counter);
    document.querySelectorAll("input.tag-input[data-suggest-url]").forEach(tagSuggestions);
  });
})();
