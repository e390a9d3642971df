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
  const encoding = document.getElementById("encode-progress");
  const encodeBar = document.getElementById("encode-bar");
  const encodePercent = document.getElementById("encode-percent");
  const encodeStages = document.getElementById("encode-stages");
  const RUNNING = ["PROBING", "ENCODING", "PACKAGING"];
  const STAGES = { PROBING: "planning", ENCODING: "encoding", PACKAGING: "packaging" };
  function say(text) { status.textContent = text; }
  function error(body, fallback) { return body && body.error ? body.error.message : fallback; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }
  // The job's progress (the status API's `progress_detail`): bar, percent, time per stage.
  function show(progress) {
    if (!progress || progress.status === "QUEUED") { return; }
    encoding.hidden = false;
    encodeBar.value = progress.percent;
    encodePercent.textContent = Number(progress.percent) + "%";
    encodeStages.textContent = progress.stages.filter(function (s) { return s.elapsed_s !== null; }).map(function (s) {
      return (STAGES[s.name] || s.name.toLowerCase()) + " " + clock(s.elapsed_s) + (s.running ? " so far" : "");
    }).join(", ");
  }

  function follow(url, titleId) {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (job) {
      const progress = job.progress_detail;
      // "Encoding: 7 of 20 chunks · 38% · 1:12 elapsed · about 2:00 left" while it runs
      let text = RUNNING.indexOf(job.state) >= 0 && progress ? progress.summary : (STATES[job.state] || job.state);
      if (job.error) { text += ": " + job.error; }
      say(text);
      show(progress);
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
