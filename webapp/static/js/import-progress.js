// Polls an import job's status and shows its progress and summary (no inline script:
// the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  var bar = document.getElementById("import-progress");
  var state = document.getElementById("import-state");
  var texts = document.getElementById("import-texts").dataset;

  var notice = document.getElementById("import-notice");

  function show(body) {
    // A worker lost during the import: say so, and that the import resumes.
    notice.textContent = body.notice || "";
    notice.hidden = !body.notice;
    if (body.state === "PROGRESS" && body.total) {
      bar.value = Math.round((100 * body.done) / body.total);
      state.textContent = texts.running.replace("{done}", body.done).replace("{total}", body.total);
    } else if (body.summary) {
      bar.value = 100;
      state.textContent = texts.done;
      var summary = document.getElementById("import-summary");
      summary.querySelectorAll("dd[data-key]").forEach(function (dd) {
        dd.textContent = String(body.summary[dd.dataset.key]);
      });
      summary.hidden = false;
      document.getElementById("import-errors").hidden = !body.summary.rejected;
      return true;
    } else if (body.error) {
      state.textContent = body.error;
      return true;
    }
    return false;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) { if (!show(body)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
