// Browser upload: ask for a presigned POST, send the file straight to S3 with a progress bar,
// then follow the encode job until the title is playable.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  if (!form) { return; }
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  const status = document.getElementById("upload-status");
  const STATES = { WAITING_FOR_FILE: "Waiting for the file", RECEIVED: "Received; waiting for the encoder",
                   QUEUED: "Queued", PROBING: "Checking the file", ENCODING: "Encoding",
                   PACKAGING: "Publishing", PUBLISHED: "Published: the title is playable",
                   FAILED: "Failed", CANCELLED: "Cancelled" };
  function say(text) { status.textContent = text; }
  function error(body, fallback) { return body && body.error ? body.error.message : fallback; }

  function follow(url, titleId) {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (job) {
      let text = STATES[job.state] || job.state;
      if (job.state === "ENCODING") { text += " " + Math.round((job.progress || 0) * 100) + "%"; }
      if (job.error) { text += ": " + job.error; }
      say(text);
      if (job.state === "PUBLISHED" && titleId) {
        const link = document.createElement("a");
        link.href = "/watch/" + encodeURIComponent(titleId); link.textContent = " Watch it";
        status.appendChild(link);
      }
      if (["PUBLISHED", "FAILED", "CANCELLED"].indexOf(job.state) < 0) { setTimeout(function () { follow(url, titleId); }, 1500); }
    }).catch(function () { setTimeout(function () { follow(url, titleId); }, 3000); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const file = form.file.files[0];
    if (!file) { say("Choose a file first."); return; }
    const titleId = form.title_id.value.trim() || null;
    say("Preparing the upload...");
    fetch(form.dataset.endpoint, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ file_name: file.name, content_type: file.type || "application/octet-stream",
                             size: file.size, title_id: titleId })
    }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        if (!answer.ok) { say(error(answer.body, "The upload could not start.")); return; }
        const upload = answer.body;
        const data = new FormData();
        Object.keys(upload.fields).forEach(function (k) { data.append(k, upload.fields[k]); });
        data.append("file", file);
        const xhr = new XMLHttpRequest();
        xhr.open("POST", upload.url);
        box.hidden = false;
        xhr.upload.addEventListener("progress", function (e) {
          if (!e.lengthComputable) { return; }
          const done = Math.round(e.loaded / e.total * 100);
          bar.value = done; percent.textContent = done + "%";
        });
        xhr.addEventListener("load", function () {
          if (xhr.status >= 200 && xhr.status < 300) { bar.value = 100; percent.textContent = "100%"; say("Uploaded."); follow(upload.status_url, titleId); }
          else { say("S3 refused the file (" + xhr.status + ")."); }
        });
        xhr.addEventListener("error", function () { say("The upload failed; check your connection and try again."); });
        xhr.send(data);
      }).catch(function () { say("The upload could not start."); });
  });
})();
