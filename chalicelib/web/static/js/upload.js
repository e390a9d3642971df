// The upload page: pick the title from the catalogue, send the file in resumable parts
// (uploader.js), show speed and time left, pause, resume or cancel, resume an unfinished
// upload when the same file is chosen again, then follow the encode until it is published.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const Uploads = window.NotflixUploads;
  if (!form || !Uploads) { return; }
  const api = Uploads.api;
  const $ = function (id) { return document.getElementById(id); };
  const fileInput = $("file");
  const startButton = $("upload-start"), pauseButton = $("upload-pause");
  const resumeButton = $("upload-resume"), cancelButton = $("upload-cancel");
  const box = $("upload-progress"), bar = $("upload-bar"), percent = $("upload-percent");
  const barLabel = box.querySelector("label[for=upload-bar]");
  const figures = $("upload-figures"), note = $("upload-note"), status = $("upload-status");
  const encoding = $("encode-progress"), encodeBar = $("encode-bar");
  const encodePercent = $("encode-percent"), encodeStages = $("encode-stages");

  // -- small helpers -------------------------------------------------------------------------
  function say(text) { if (status.textContent !== text) { status.textContent = text; } }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }
  function bytes(n) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 2 : 1)) + " " + units[i];
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function message(error, fallback) { return error && error.message ? error.message : fallback; }

  // Title names by id, for the upload being resumed and the unfinished list.
  const titles = {};
  function titleNamed(id) {
    if (!id) { return Promise.resolve(null); }
    if (!titles[id]) {
      titles[id] = api("GET", "/api/titles/" + encodeURIComponent(id)).catch(function (error) {
        delete titles[id];
        throw error;
      });
    }
    return titles[id];
  }
  function describe(title) {
    const bits = [title.year, title.kind === "series" ? "series" : "film"].filter(Boolean);
    return title.name + " (" + bits.join(", ") + ")";
  }

  // -- which titles this account may upload to: admins every one, uploaders their list ------
  // (the API refuses the others anyway; the page says why before a file is sent)
  const access = api("GET", form.dataset.access).catch(function () { return null; });
  function mayUpload(known, id) {
    return !known || known.access === "all" || known.titles.some(function (t) { return t.title_id === id; });
  }
  function refusal(title) {
    return "You may not upload to " + describe(title) + ": an admin must assign it to you first (or create a new title below).";
  }
  function ownMatches(known, q, results) {
    // titles on the list the search does not know yet (one just created, say)
    if (!known || known.access === "all") { return results; }
    const words = q.toLowerCase();
    const seen = results.map(function (t) { return t.id; });
    const own = known.titles.filter(function (t) {
      return t.name && t.name.toLowerCase().indexOf(words) >= 0 && seen.indexOf(t.title_id) < 0;
    }).map(function (t) { return { id: t.title_id, name: t.name, kind: t.kind, year: t.year }; });
    return own.concat(results).slice(0, 8);
  }

  // -- the title: a search box over the catalogue (a combobox with a list of matches) --------
  const search = $("title-search"), matches = $("title-matches"), titleId = $("title_id");
  const chosen = $("title-chosen"), episodeField = $("episode-field"), episode = $("episode");
  const NOTHING_CHOSEN = "No title chosen yet: type a few letters of its name.";
  let found = [], active = -1, timer = null, asked = 0;

  function closeMatches() {
    matches.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(matches.children, function (li, i) {
      li.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) {
      const li = matches.children[index];
      search.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else { search.removeAttribute("aria-activedescendant"); }
  }
  function choose(title) {
    if (title.refused) {  // shown, but not an upload target for this account
      unchoose(refusal(title));
      closeMatches();
      return;
    }
    titleId.value = title.id;
    search.value = title.name;
    chosen.textContent = "Plays for: " + describe(title) + ".";
    episodeField.hidden = title.kind !== "series";
    if (episodeField.hidden) { episode.value = ""; }
    closeMatches();
  }
  function unchoose(text) {
    titleId.value = "";
    episodeField.hidden = true;
    episode.value = "";
    chosen.textContent = text || NOTHING_CHOSEN;
  }
  function showMatches(q, results) {
    found = results;
    if (!results.length) {
      closeMatches();
      chosen.textContent = "No title matches “" + q + "”.";
      return;
    }
    matches.replaceChildren.apply(matches, results.map(function (t, i) {
      const li = document.createElement("li");
      li.id = "title-match-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = t.name;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [t.year, t.kind === "series" ? "Series" : "Film",
                          t.refused ? "needs an admin to assign it to you" : null].filter(Boolean).join(" · ");
      if (t.refused) { li.setAttribute("aria-disabled", "true"); li.classList.add("refused"); }
      li.append(name, " ", meta);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus
      li.addEventListener("click", function () { choose(t); search.focus(); });
      return li;
    }));
    matches.hidden = false;
    search.setAttribute("aria-expanded", "true");
    chosen.textContent = plural(results.length, "match") + ": pick one with the arrow keys and Enter, or click it.";
    highlight(-1);
  }
  search.addEventListener("input", function () {
    clearTimeout(timer);
    if (titleId.value) { unchoose(); }
    const q = search.value.trim();
    if (!q) { closeMatches(); chosen.textContent = NOTHING_CHOSEN; return; }
    timer = setTimeout(function () {
      const mine = ++asked;
      Promise.all([api("GET", form.dataset.search + "?limit=8&q=" + encodeURIComponent(q)), access]).then(function (both) {
        const known = both[1];
        const results = ownMatches(known, q, both[0].results).map(function (t) {
          return Object.assign({}, t, { refused: !mayUpload(known, t.id) });
        });
        if (mine === asked && search.value.trim() === q) { showMatches(q, results); }
      }, function (error) {
        if (mine === asked) { closeMatches(); chosen.textContent = message(error, "Search is unavailable; try again."); }
      });
    }, 200);
  });
  search.addEventListener("keydown", function (event) {
    const open = !matches.hidden && found.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) { return; }
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + found.length + (active < 0 && step < 0 ? 1 : 0)) % found.length);
    } else if (event.key === "Enter" && open) {
      event.preventDefault();  // picking a title does not send the form
      if (active >= 0) { choose(found[active]); } else if (found.length === 1) { choose(found[0]); }
    } else if (event.key === "Escape" && !matches.hidden) {
      event.preventDefault();
      closeMatches();
    }
  });
  search.addEventListener("blur", function () { setTimeout(closeMatches, 150); });
  if (titleId.value) {  // /upload?title=ID
    const given = titleId.value;
    chosen.textContent = "Looking up the title " + given + "...";
    Promise.all([titleNamed(given), access]).then(function (both) {
      choose(Object.assign({}, both[0], { refused: !mayUpload(both[1], both[0].id) }));
    }, function (error) {
      unchoose(error.status === 404 ? "No title has the id “" + given + "”: search for it instead." : message(error, NOTHING_CHOSEN));
    });
  }

  // -- a new title: created here, it is on this account's list at once -----------------------
  const newTitle = $("new-title"), newTitleForm = $("new-title-form"), newTitleStatus = $("new-title-status");
  newTitleForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const name = newTitleForm.name.value.trim(), year = newTitleForm.year.value.trim();
    if (!name) { newTitleStatus.textContent = "Give the title a name."; newTitleForm.name.focus(); return; }
    if (year && !/^[0-9]{4}$/.test(year)) { newTitleStatus.textContent = "The year is four digits, e.g. 2024."; return; }
    const body = { kind: newTitleForm.kind.value, name: name };
    if (year) { body.year = Number(year); }
    api("POST", newTitleForm.dataset.endpoint, body).then(function (created) {
      return access.then(function (known) {
        if (known && known.access !== "all") {
          known.titles.push({ title_id: created.id, name: created.name, kind: created.kind, year: created.year, via: "created" });
        }
        titles[created.id] = Promise.resolve(created);
        choose(created);
        newTitleForm.reset();
        newTitle.open = false;
        newTitleStatus.textContent = "";
        say("Created " + describe(created) + ": choose the file to upload to it.");
      });
    }, function (error) {
      newTitleStatus.textContent = message(error, "The title could not be created; try again.");
    });
  });

  // -- the upload ----------------------------------------------------------------------------
  let current = null;     // the MultipartUpload under way on this page
  let starting = false;   // asking the API to start or looking for an unfinished upload
  let lookups = null;     // [file, promise of its unfinished upload (with parts) or null]
  const LIVE = ["running", "paused", "completing"];

  function live() { return current !== null && LIVE.indexOf(current.state) >= 0; }

  function lookUp(file) {
    if (!lookups || lookups[0] !== file) {
      const promise = Uploads.findUnfinished(file);
      lookups = [file, promise];
      promise.catch(function () { if (lookups && lookups[1] === promise) { lookups = null; } });
    }
    return lookups[1];
  }

  function controls(state) {
    const busy = LIVE.indexOf(state) >= 0 || starting;
    const focused = document.activeElement;
    startButton.hidden = busy;
    pauseButton.hidden = state !== "running";
    resumeButton.hidden = state !== "paused";
    cancelButton.hidden = state !== "running" && state !== "paused";
    fileInput.disabled = busy;
    search.disabled = busy;
    episode.disabled = busy;
    // the button pressed may have just been hidden: keep the focus on its counterpart
    if (focused && focused.hidden) {
      const next = [pauseButton, resumeButton, cancelButton, startButton].filter(function (b) { return !b.hidden; })[0];
      if (next) { next.focus(); }
    }
  }

  function render(upload) {
    const s = upload.snapshot();
    const shown = Math.floor(s.percent * 10) / 10;
    bar.value = s.state === "done" ? 100 : shown;
    percent.textContent = (s.state === "done" ? 100 : Math.floor(s.percent)) + "%";
    const bits = [bytes(s.done) + " of " + bytes(s.total), plural(s.partsDone, "part") + " of " + s.partCount];
    if (s.state === "running") {
      bits.push(s.speed === null ? "measuring speed…" : bytes(s.speed) + "/s");
      if (s.secondsLeft !== null && !s.trouble) { bits.push("about " + clock(s.secondsLeft) + " left"); }
    }
    figures.textContent = bits.join(" · ");
    controls(s.state);
    const name = upload.file.name;
    if (s.state === "running" || s.state === "completing") {
      if (s.trouble) {
        const wait = s.retryIn === null || s.retryIn <= 0 ? "retrying now" : "retrying in " + s.retryIn + " s";
        say((s.trouble === "connection" ? "Connection lost; " : "The upload was refused (" + s.lastStatus + "); ") + wait + ".");
      } else if (s.state === "completing") {
        say("Finishing the upload...");
      } else if (s.resumedParts) {
        say("Resuming " + name + ": " + s.resumedParts + " of " + s.partCount + " parts were already uploaded; sending the rest...");
      } else {
        say("Uploading " + name + "...");
      }
    } else if (s.state === "paused") {
      say("Paused: " + s.partsDone + " of " + s.partCount + " parts are uploaded. Resume sends the rest.");
    } else if (s.state === "failed") {
      say("The upload stopped: " + message(s.error, "it failed") + " Choose the file again to retry.");
      current = null;
      fileInput.value = "";  // so that choosing the same file again is a change
      controls("failed");
    } else if (s.state === "done") {
      current = null;
      finished(upload);
    }
  }

  function run(file, upload, stored) {
    barLabel.textContent = "Uploading";
    current = new Uploads.MultipartUpload(file, upload, render);
    lookups = null;  // what was unfinished is being uploaded now
    encoding.hidden = true;
    box.hidden = false;
    note.textContent = "";
    if (stored && stored.length) {
      current.markStored(stored);
      const text = "Resuming: " + current.resumedParts + " of " + upload.part_count + " parts already uploaded.";
      note.textContent = text;
      say(text);
      if (upload.title_id) {
        titleNamed(upload.title_id).then(function (title) {
          choose(title);
          note.textContent = text + " It plays for " + describe(title) + ".";
        }, function () {});
      }
    } else {
      say("Uploading " + file.name + "...");
    }
    dropUnfinished(upload.upload_id);
    current.start();
    render(current);
  }

  function finished(upload) {
    barLabel.textContent = "Uploaded";
    bar.value = 100;
    percent.textContent = "100%";
    fileInput.value = "";
    lookups = null;
    say("Uploaded; waiting for the encoder.");
    controls("done");
    follow(upload.upload.status_url, upload.upload.title_id);
  }

  // Choosing a file that was partly uploaded before resumes it at once.
  fileInput.addEventListener("change", function () {
    const file = fileInput.files[0];
    if (!file || live()) { return; }
    lookUp(file).then(function (unfinished) {
      if (!unfinished || live() || starting || fileInput.files[0] !== file) { return; }
      run(file, unfinished, unfinished.parts);
    }, function () {});
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (live() || starting) { return; }
    const file = fileInput.files[0];
    if (!file) { say("Choose a file first."); fileInput.focus(); return; }
    const ep = episode.value.trim().toUpperCase();
    if (ep && !/^S\d{1,4}E\d{1,4}$/.test(ep)) { say("Write the episode as S1E3 (season 1, episode 3)."); episode.focus(); return; }
    if (search.value.trim() && !titleId.value) { say("Pick the title from the matches, or clear the box to upload without one."); search.focus(); return; }
    starting = true;
    controls("starting");
    say("Preparing the upload...");
    lookUp(file).then(function (unfinished) {
      if (live()) { return null; }
      if (unfinished) { return [unfinished, unfinished.parts]; }
      return Uploads.begin(file, { title_id: titleId.value || null, episode: ep || null }).then(function (upload) {
        return [upload, []];
      });
    }).then(function (go) {
      starting = false;
      if (go) { run(file, go[0], go[1]); } else { controls(current ? current.state : "idle"); }
    }, function (error) {
      starting = false;
      controls("idle");
      say(error.transient ? "The upload could not start: the service is unreachable; try again." : message(error, "The upload could not start."));
    });
  });

  pauseButton.addEventListener("click", function () { if (current) { current.pause(); } });
  resumeButton.addEventListener("click", function () { if (current) { current.resume(); } });
  cancelButton.addEventListener("click", function () {
    if (!current) { return; }
    const upload = current;
    say("Cancelling...");
    upload.cancel().then(function () {
      current = null;
      lookups = null;
      form.reset();
      unchoose();
      box.hidden = true;
      bar.value = 0;
      percent.textContent = "0%";
      figures.textContent = "";
      note.textContent = "";
      controls("idle");
      say("Upload cancelled: the parts sent were deleted.");
      loadUnfinished();
    }, function (error) {
      current = null;
      controls("idle");
      say("The upload could not be cancelled: " + message(error, "try again."));
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (current && (current.state === "running" || current.state === "completing")) {
      event.preventDefault();
      event.returnValue = "";  // leaving stops the upload; choosing the file again resumes it
    }
  });

  // -- unfinished uploads: resumed by choosing the same file, or cancelled here ---------------
  const unfinished = $("unfinished"), unfinishedList = $("unfinished-list");
  const unfinishedStatus = $("unfinished-status");

  function dropUnfinished(uploadId) {
    Array.prototype.forEach.call(unfinishedList.querySelectorAll("li"), function (li) {
      if (li.dataset.uploadId === uploadId) { li.remove(); }
    });
    unfinished.hidden = !unfinishedList.children.length;
  }

  function unfinishedItem(upload) {
    const li = document.createElement("li");
    li.dataset.uploadId = upload.upload_id;
    const what = document.createElement("span");
    const name = document.createElement("strong");
    name.textContent = upload.file_name;
    const meta = document.createElement("span");
    meta.className = "meta";
    const facts = [bytes(upload.size), "started " + new Date(upload.created_at).toLocaleString()];
    meta.textContent = " " + facts.join(" · ");
    const detail = document.createElement("span");
    detail.className = "meta";
    what.append(name, meta, document.createElement("br"), detail);
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    cancel.setAttribute("aria-label", "Cancel " + upload.file_name);
    cancel.addEventListener("click", function () {
      cancel.disabled = true;
      api("DELETE", "/api/admin/uploads/" + encodeURIComponent(upload.upload_id)).then(function () {
        li.remove();  // the section stays, to say so
        unfinishedStatus.textContent = "Cancelled " + upload.file_name + ": its parts were deleted.";
      }, function (error) {
        cancel.disabled = false;
        unfinishedStatus.textContent = message(error, "It could not be cancelled; try again.");
      });
    });
    li.append(what, cancel);
    // what S3 holds, and the title it plays for
    const extra = [];
    api("GET", "/api/admin/uploads/" + encodeURIComponent(upload.upload_id) + "/parts").then(function (parts) {
      extra.unshift(parts.parts.length + " of " + parts.part_count + " parts uploaded (" +
                    Math.floor(parts.bytes_uploaded / upload.size * 100) + "%)");
      detail.textContent = extra.join(" · ");
    }, function () {});
    titleNamed(upload.title_id).then(function (title) {
      if (title) { extra.push("plays for " + describe(title)); detail.textContent = extra.join(" · "); }
    }, function () {});
    return li;
  }

  function loadUnfinished() {
    api("GET", "/api/admin/uploads?state=UPLOADING&limit=20").then(function (answer) {
      const mine = current ? current.upload.upload_id : null;
      const items = answer.uploads.filter(function (u) { return u.upload_id !== mine; }).map(unfinishedItem);
      unfinishedList.replaceChildren.apply(unfinishedList, items);
      unfinished.hidden = !items.length;
    }, function () {});
  }
  loadUnfinished();

  // -- the encode: the status URL until the title is published -------------------------------
  const STATES = { UPLOADING: "Uploading", COMPLETING: "Finishing the upload",
                   RECEIVED: "Received; waiting for the encoder",
                   QUEUED: "Queued", PROBING: "Checking the file", ENCODING: "Encoding",
                   PACKAGING: "Publishing", PUBLISHED: "Published: the title is playable",
                   FAILED: "Failed", CANCELLED: "Cancelled", ABORTED: "Cancelled" };
  const RUNNING = ["PROBING", "ENCODING", "PACKAGING"];
  const STAGES = { PROBING: "planning", ENCODING: "encoding", PACKAGING: "packaging" };
  let following = 0;

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

  function follow(url, title) {
    const mine = ++following;
    function poll() {
      if (mine !== following || live()) { return; }  // a newer upload took the status line
      api("GET", url).then(function (job) {
        if (mine !== following || live()) { return; }
        const progress = job.progress_detail;
        // "Encoding: 7 of 20 chunks · 38% · 1:12 elapsed · about 2:00 left" while it runs
        let text = RUNNING.indexOf(job.state) >= 0 && progress ? progress.summary : (STATES[job.state] || job.state);
        if (job.error) { text += ": " + job.error; }
        say(text);
        show(progress);
        const titleShown = job.title_id || title;
        if (job.state === "PUBLISHED" && titleShown) {
          const link = document.createElement("a");
          link.href = "/watch/" + encodeURIComponent(titleShown);
          link.textContent = "Watch it";
          status.append(" ", link);
        }
        if (["PUBLISHED", "FAILED", "CANCELLED", "ABORTED"].indexOf(job.state) < 0) { setTimeout(poll, 1500); }
      }, function () { setTimeout(poll, 3000); });
    }
    poll();
  }
})();
