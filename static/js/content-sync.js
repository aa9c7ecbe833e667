// "Sync now": follow a queued or running sync's progress, then show the page as it left it.
(function () {
  "use strict";
  function follow(box) {
    var lines = box.querySelector("pre");
    function poll() {
      fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (run) {
          lines.textContent = run.lines.join("\n");
          if (run.state === "running" || run.state === "queued") {
            window.setTimeout(poll, 1000);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          window.setTimeout(poll, 3000);
        });
    }
    window.setTimeout(poll, 500);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("sync-run");
    if (box && (box.dataset.state === "running" || box.dataset.state === "queued")) follow(box);
  });
})();
