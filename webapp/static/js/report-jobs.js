// Polls each report job on the dashboard and shows its download links when ready
// (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var list = document.querySelector(".report-jobs");
  if (!list) { return; }
  var texts = list.dataset;

  function watch(item) {
    var state = item.querySelector(".job-state");
    fetch(item.dataset.status, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.state === "SUCCESS") {
          state.textContent = texts.ready + (body.seconds ? " (" + body.seconds + " s)" : "");
          item.querySelectorAll(".job-link").forEach(function (a) { a.hidden = false; });
        } else if (body.state === "FAILURE" || body.error) {
          state.textContent = body.error || texts.failed;
        } else {
          if (body.step === "figures") { state.textContent = texts.stepFigures; }
          if (body.step === "rendering") { state.textContent = texts.stepRendering; }
          // No worker is running: say that the report waits (polling goes on).
          if (body.notice) { state.textContent = body.notice; }
          setTimeout(function () { watch(item); }, 1500);
        }
      })
      .catch(function () { setTimeout(function () { watch(item); }, 3000); });
  }
  list.querySelectorAll("li[data-status]").forEach(watch);
})();
