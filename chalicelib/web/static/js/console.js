// The jobs console: one small request every 2 s returns only the panels that changed.
"use strict";
(function () {
  const root = document.getElementById("console");
  if (!root) { return; }
  const status = document.getElementById("console-status");
  const message = document.getElementById("console-message");
  function tell(text) { message.textContent = text; message.hidden = !text; }
  let cursor = "";
  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function stages(job) {
    return Object.keys(job.stages || {}).map(function (name) {
      const s = job.stages[name];
      return name.toLowerCase() + (s.seconds !== null && s.seconds !== undefined ? " " + s.seconds.toFixed(1) + " s" : " …");
    }).join(", ");
  }
  function row(job) {
    const tr = document.createElement("tr");
    tr.append(cell(job.number ? String(job.number) : "–"), cell((job.created_at || "").slice(0, 19).replace("T", " ")),
              cell(job.source.key), cell((job.title_id || "") + (job.episode ? " " + job.episode : "")));
    let state = job.status;
    if (job.status === "ENCODING") { state += " " + Math.round(job.progress * 100) + "%"; }
    if (job.cancel_requested && ["PUBLISHED", "FAILED", "CANCELLED"].indexOf(job.status) < 0) { state += " (cancelling)"; }
    if (job.error) { state += ": " + job.error; }
    tr.append(cell(state), cell(stages(job)));
    const actions = document.createElement("td");
    if (job.log_url) {
      const log = document.createElement("a"); log.href = job.log_url; log.textContent = "Log"; actions.append(log, " ");
    }
    if (["QUEUED", "PROBING", "ENCODING", "PACKAGING"].indexOf(job.status) >= 0 && !job.cancel_requested) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "secondary"; button.textContent = "Cancel";
      button.setAttribute("aria-label", "Cancel job " + (job.number || job.job_id));
      button.addEventListener("click", function () {
        button.disabled = true;
        fetch("/api/admin/jobs/" + encodeURIComponent(job.job_id) + "/cancel", { method: "POST", credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (b) { tell(b.message || (b.error && b.error.message) || ""); poll(); });
      });
      actions.append(button);
    }
    if (job.status === "FAILED" || job.status === "CANCELLED") {
      const retry = document.createElement("button");
      retry.type = "button"; retry.className = "secondary"; retry.textContent = "Retry";
      retry.setAttribute("aria-label", "Retry job " + (job.number || job.job_id));
      retry.addEventListener("click", function () {
        retry.disabled = true;
        fetch("/api/admin/jobs/" + encodeURIComponent(job.job_id) + "/retry", { method: "POST", credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (b) { tell(b.message || (b.error && b.error.message) || ""); poll(); });
      });
      actions.append(retry);
    }
    tr.append(actions);
    return tr;
  }
  function poll() {
    fetch(root.dataset.endpoint + (cursor ? "?since=" + encodeURIComponent(cursor) : ""), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.error) { status.textContent = body.error.message; return; }
        cursor = body.cursor;
        body.changed.forEach(function (panel) {
          const jobs = body.panels[panel];
          document.getElementById("jobs-" + panel).replaceChildren.apply(document.getElementById("jobs-" + panel), jobs.map(row));
          document.getElementById("count-" + panel).textContent = "(" + jobs.length + ")";
        });
        status.textContent = "Up to date " + new Date().toLocaleTimeString();
      })
      .catch(function () { status.textContent = "The console is not reachable; retrying."; });
  }
  poll();
  setInterval(poll, 2000);
})();
