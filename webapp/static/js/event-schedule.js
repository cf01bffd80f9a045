// The schedule page: forms whose target depends on the chosen meeting, and the
// solver job's progress (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";
  ["move-form", "outcome-form"].forEach(function (id) {
    var form = document.getElementById(id);
    if (!form) { return; }
    form.addEventListener("submit", function () {
      var meeting = form.querySelector("[name=meeting]").value;
      form.action = form.dataset.actionBase.replace("/0/", "/" + meeting + "/");
    });
  });
  var job = document.getElementById("solver-job");
  if (!job) { return; }
  var bar = document.getElementById("solver-progress");
  var state = document.getElementById("solver-state");
  function poll() {
    fetch(job.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.state === "SUCCESS") { bar.value = 100; state.textContent = job.dataset.done; return; }
        if (body.error) { state.textContent = body.error; return; }
        if (body.phase) {
          bar.value = Math.round(100 * (body.fraction || 0));
          state.textContent = job.dataset.running.replace("{phase}", body.phase).replace("{pct}", bar.value);
        }
        // No worker is running: say that the solver waits (polling goes on).
        if (body.notice) { state.textContent = body.notice; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
