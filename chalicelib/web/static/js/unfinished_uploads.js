// Admin page: the unfinished uploads, refreshed every few seconds, each with an Abort button.
"use strict";
(function () {
  const panel = document.getElementById("unfinished-uploads");
  if (!panel) { return; }
  const table = panel.querySelector("table");
  const rows = table.querySelector("tbody");
  const empty = panel.querySelector(".empty");
  const status = panel.querySelector(".status");
  const REFRESH_MS = 5000;

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function mib(bytes) { return (bytes / 1048576).toFixed(1) + " MiB"; }

  function row(upload) {
    const tr = document.createElement("tr");
    tr.dataset.upload = upload.upload_id;
    tr.appendChild(cell(upload.created_at.slice(0, 16).replace("T", " ")));
    tr.appendChild(cell(upload.file_name));
    tr.appendChild(cell(upload.owner_email));
    tr.appendChild(cell(upload.title_id || ""));
    const received = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = 1; bar.value = upload.progress || 0;
    received.appendChild(bar);
    received.appendChild(document.createTextNode(upload.progress === null ? " unknown (expired?)" :
      " " + (upload.progress * 100).toFixed(1) + "% of " + mib(upload.size)));
    tr.appendChild(received);
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button"; button.className = "secondary"; button.textContent = "Abort";
    button.dataset.abort = upload.upload_id;
    action.appendChild(button);
    tr.appendChild(action);
    return tr;
  }

  function render(uploads) {
    rows.replaceChildren.apply(rows, uploads.map(row));
    table.hidden = uploads.length === 0;
    empty.hidden = uploads.length !== 0;
  }

  function refresh() {
    fetch(panel.dataset.endpoint, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) { render(body.uploads); })
      .catch(function () { /* keep the last rows; the next refresh tries again */ })
      .finally(function () { setTimeout(refresh, REFRESH_MS); });
  }

  panel.addEventListener("click", function (event) {
    const id = event.target.dataset ? event.target.dataset.abort : null;
    if (!id) { return; }
    const name = event.target.closest("tr").children[1].textContent;
    if (!window.confirm("Abort the upload of " + name + "? The parts sent so far are dropped.")) { return; }
    event.target.disabled = true;
    fetch("/api/admin/uploads/" + encodeURIComponent(id), { method: "DELETE", credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (answer) {
        status.textContent = answer.ok ? "Aborted the upload of " + name + "." :
          (answer.body.error ? answer.body.error.message : "That did not work.");
        if (answer.ok) {
          const tr = rows.querySelector("tr[data-upload='" + id + "']");
          if (tr) { tr.remove(); }
          table.hidden = rows.children.length === 0;
          empty.hidden = rows.children.length !== 0;
        } else { event.target.disabled = false; }
      }).catch(function () { status.textContent = "The service is unavailable; try again."; event.target.disabled = false; });
  });
  setTimeout(refresh, REFRESH_MS);
})();
