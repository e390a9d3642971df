// The jobs console: one small request every 2 s returns only the panels that changed; in
// between, running jobs' clocks tick here (elapsed up, time left down) from the last answer.
"use strict";
(function () {
  const root = document.getElementById("console");
  if (!root) { return; }
  const status = document.getElementById("console-status");
  const message = document.getElementById("console-message");
  function tell(text) { message.textContent = text; message.hidden = !text; }
  let cursor = "";
  const RUNNING = ["PROBING", "ENCODING", "PACKAGING"];
  const LABELS = { QUEUED: "Queued", PROBING: "Planning", ENCODING: "Encoding", PACKAGING: "Packaging",
                   PUBLISHED: "Published", FAILED: "Failed", CANCELLED: "Cancelled" };
  // A worker silent this long shows as such (the watchdog fails it much later).
  const QUIET_S = 120;
  // panel -> [{job, at, state, stages}]: what each row shows, to tick between answers.
  const live = {};

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }
  function stageOf(p) {
    return (p.stages || []).filter(function (s) { return s.name === p.stage; })[0];
  }
  // The same line as the API's `summary` (chalicelib/jobs/progress.py), `drift` seconds later.
  function summary(p, drift) {
    if (p.status === "QUEUED") { return LABELS.QUEUED; }
    let label = LABELS[p.status] || p.status;
    if (p.chunks_total) { label += ": " + p.chunks_done + " of " + p.chunks_total + " chunks"; }
    const parts = [label, Number(p.percent) + "%"];
    const current = stageOf(p);
    if (p.stage && current && current.elapsed_s !== null) {
      parts.push(clock(current.elapsed_s + (current.running ? drift : 0)) + " elapsed");
    } else if (!p.stage && p.elapsed_s !== null) {
      parts.push(clock(p.elapsed_s) + " in all");
    }
    if (p.eta_seconds !== null) { parts.push("about " + clock(p.eta_seconds - drift) + " left"); }
    return parts.join(" · ");
  }
  function stages(p, drift) {
    return (p.stages || []).map(function (s) {
      if (s.elapsed_s === null) { return LABELS[s.name] ? LABELS[s.name].toLowerCase() : s.name.toLowerCase(); }
      let text = (LABELS[s.name] || s.name).toLowerCase() + " " + clock(s.elapsed_s + (s.running ? drift : 0));
      if (s.running) { text += " so far"; } else if (s.outcome && s.outcome !== "ok") { text += " (" + s.outcome + ")"; }
      return text;
    }).join(", ");
  }
  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function paint(entry) {
    const job = entry.job, p = job.progress_detail, drift = (Date.now() - entry.at) / 1000;
    const running = RUNNING.indexOf(job.status) >= 0;
    let text = running ? summary(p, drift) : job.status;
    if (running && p.heartbeat_age_s !== null && p.heartbeat_age_s + drift >= QUIET_S) {
      text += " · no worker has reported for " + clock(p.heartbeat_age_s + drift);
    }
    if (job.cancel_requested && ["PUBLISHED", "FAILED", "CANCELLED"].indexOf(job.status) < 0) { text += " (cancelling)"; }
    if (job.error) { text += ": " + job.error; }
    entry.label.textContent = text;
    if (entry.bar) { entry.bar.value = p.percent; }
    entry.stages.textContent = stages(p, drift);
  }
  function actions(job) {
    const td = document.createElement("td");
    if (job.log_url) {
      const log = document.createElement("a"); log.href = job.log_url; log.textContent = "Log"; td.append(log, " ");
    }
    if (["QUEUED"].concat(RUNNING).indexOf(job.status) >= 0 && !job.cancel_requested) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "secondary"; button.textContent = "Cancel";
      button.setAttribute("aria-label", "Cancel job " + (job.number || job.job_id));
      button.addEventListener("click", function () {
        button.disabled = true;
        fetch("/api/admin/jobs/" + encodeURIComponent(job.job_id) + "/cancel", { method: "POST", credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (b) { tell(b.message || (b.error && b.error.message) || ""); poll(); });
      });
      td.append(button);
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
      td.append(retry);
    }
    return td;
  }
  function row(job, at) {
    const tr = document.createElement("tr");
    // names, not ids: the title's name (its id on hover) and who uploaded it
    const title = cell((job.title_name || job.title_id || "") + (job.episode ? " " + job.episode : ""));
    if (job.title_id) { title.title = job.title_id; }
    const source = cell(job.source.key);
    if (job.uploader_email || job.uploader) {
      const by = document.createElement("span");
      by.className = "meta";
      by.textContent = "by " + (job.uploader_email || job.uploader);
      source.append(document.createElement("br"), by);
    }
    tr.append(cell(job.number ? String(job.number) : "–"), cell((job.created_at || "").slice(0, 19).replace("T", " ")),
              source, title);
    const state = document.createElement("td");
    const entry = { job: job, at: at, label: document.createElement("span"), bar: null, stages: cell("") };
    state.append(entry.label);
    if (RUNNING.indexOf(job.status) >= 0) {
      entry.bar = document.createElement("progress");
      entry.bar.max = 100;
      entry.bar.setAttribute("aria-label", "Job " + (job.number || job.job_id) + " progress");
      state.append(document.createElement("br"), entry.bar);
    }
    tr.append(state, entry.stages, actions(job));
    paint(entry);
    return { tr: tr, entry: entry };
  }
  function tick() {
    Object.keys(live).forEach(function (panel) {
      live[panel].forEach(function (entry) {
        if (RUNNING.indexOf(entry.job.status) >= 0) { paint(entry); }
      });
    });
  }
  function poll() {
    fetch(root.dataset.endpoint + (cursor ? "?since=" + encodeURIComponent(cursor) : ""), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.error) { status.textContent = body.error.message; return; }
        cursor = body.cursor;
        const at = Date.now();
        body.changed.forEach(function (panel) {
          const rows = body.panels[panel].map(function (job) { return row(job, at); });
          live[panel] = rows.map(function (r) { return r.entry; });
          const tbody = document.getElementById("jobs-" + panel);
          tbody.replaceChildren.apply(tbody, rows.map(function (r) { return r.tr; }));
          document.getElementById("count-" + panel).textContent = "(" + rows.length + ")";
        });
        status.textContent = "Up to date " + new Date().toLocaleTimeString();
      })
      .catch(function () { status.textContent = "The console is not reachable; retrying."; });
  }
  poll();
  setInterval(poll, 2000);
  setInterval(tick, 1000);
})();
