// The Notflix player: dash.js (adaptive bitrate, a manual quality choice) under our own
// controls: one timeline with thumbnail previews while scrubbing or hovering, play/pause,
// ±10 s, volume, subtitles, quality and full screen, for mouse, touch and keyboard.
// It starts by itself (muted, with an "Unmute" button, where the browser refuses sound),
// resumes, posts progress (every 10 s, on pause and when the page goes away), offers the
// next episode with a countdown near the end, and ends a film on an end card.
"use strict";
(function () {
  const video = document.getElementById("video");
  if (!video || !window.dashjs) { return; }
  const $ = function (id) { return document.getElementById(id); };
  const stage = $("stage");
  const status = $("player-status");
  const quality = $("quality");
  const subtitles = $("subtitles");
  const timeline = $("timeline");
  const preview = $("preview");
  const previewTime = $("preview-time");
  const playPause = $("play-pause");
  const bigPlay = $("big-play");
  const unmute = $("unmute");
  const mute = $("mute");
  const volume = $("volume");
  const time = $("time");
  const upNext = $("up-next");
  const upNextCount = $("up-next-count");
  const endCard = $("end-card");
  const next = $("next");
  const titleId = video.dataset.title;
  const resumeAt = parseFloat(video.dataset.resume || "0");
  // the play grant's id (its quality beacons name it too); a page without one makes its own
  const playId = video.dataset.play || (self.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9_-]/g, "");
  const PROGRESS_EVERY_MS = 10000;
  const UP_NEXT_COUNTDOWN_S = 10;
  let lastSent = -1;
  let inFlight = Promise.resolve();
  let cues = [];
  let upNextCancelled = false;
  let countdown = null;

  const player = dashjs.MediaPlayer().create();
  player.initialize(video, video.dataset.manifest, false, resumeAt > 0 ? resumeAt : undefined);
  window.notflixPlayer = player;  // for tests and curious people

  function say(text) { if (status) { status.textContent = text; } }
  function clock(s) {
    s = Math.max(0, Math.floor(s || 0));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }
  function duration() {
    return video.duration && isFinite(video.duration) ? video.duration : parseFloat(video.dataset.duration || "0");
  }

  // -- starting: with sound if the browser lets us, else muted with an Unmute button --------
  function start() {
    const attempt = video.play();
    if (!attempt || !attempt.catch) { return; }
    attempt.catch(function (error) {
      if (error && error.name === "NotAllowedError" && !video.muted) {
        video.muted = true;
        video.play().then(function () { unmute.hidden = false; say("Playing without sound: select Unmute for sound"); })
          .catch(function () { bigPlay.hidden = false; });
      } else if (error && error.name !== "AbortError") {
        bigPlay.hidden = false;
      }
    });
  }
  player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, function () {
    const reps = player.getRepresentationsByType ? player.getRepresentationsByType("video") : [];
    reps.slice().sort(function (a, b) { return b.height - a.height; }).forEach(function (rep) {
      const option = document.createElement("option");
      option.value = rep.id;
      option.textContent = rep.height + "p";
      quality.appendChild(option);
    });
    video.dataset.representations = String(reps.length);
    if (resumeAt > 0) { say("Resuming at " + clock(resumeAt)); }
    start();
  });
  player.on(dashjs.MediaPlayer.events.ERROR, function (e) {
    say("Playback problem: " + ((e && e.error && e.error.message) || "the stream could not be loaded"));
  });
  bigPlay.addEventListener("click", function () { bigPlay.hidden = true; video.play(); });
  unmute.addEventListener("click", function () { video.muted = false; unmute.hidden = true; say("Sound on"); });

  // -- the control bar ----------------------------------------------------------------------
  function toggle() { if (video.paused || video.ended) { video.play(); } else { video.pause(); } }
  function seekBy(delta) { video.currentTime = Math.min(Math.max(0, video.currentTime + delta), duration() || Infinity); }
  function setVolume(value) {
    video.volume = Math.min(1, Math.max(0, value));
    video.muted = video.volume === 0;
    if (!video.muted) { unmute.hidden = true; }
  }
  function paintButtons() {
    const playing = !video.paused && !video.ended;
    playPause.textContent = playing ? "Pause" : "Play";
    playPause.setAttribute("aria-label", playing ? "Pause" : "Play");
    mute.textContent = video.muted ? "Unmute" : "Mute";
    mute.setAttribute("aria-label", video.muted ? "Unmute" : "Mute");
    volume.value = String(video.muted ? 0 : video.volume);
  }
  function paintTime() {
    const total = duration();
    if (total && String(timeline.max) !== String(total)) { timeline.max = String(total); }
    if (!timeline.dataset.dragging) {
      timeline.value = String(video.currentTime);
      timeline.setAttribute("aria-valuetext", clock(video.currentTime) + " of " + clock(total));
    }
    time.textContent = clock(video.currentTime) + " / " + clock(total);
  }
  playPause.addEventListener("click", toggle);
  video.addEventListener("click", toggle);
  $("back-10").addEventListener("click", function () { seekBy(-10); });
  $("forward-10").addEventListener("click", function () { seekBy(10); });
  mute.addEventListener("click", function () { video.muted = !video.muted; if (!video.muted) { unmute.hidden = true; } });
  volume.addEventListener("input", function () { setVolume(parseFloat(volume.value)); });
  $("fullscreen").addEventListener("click", function () {
    if (document.fullscreenElement) { document.exitFullscreen(); } else if (stage.requestFullscreen) { stage.requestFullscreen(); }
  });
  ["play", "pause", "ended", "volumechange"].forEach(function (name) { video.addEventListener(name, paintButtons); });
  video.addEventListener("timeupdate", paintTime);
  video.addEventListener("loadedmetadata", paintTime);

  quality.addEventListener("change", function () {
    const auto = quality.value === "auto";
    player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
    if (!auto) { player.setRepresentationForTypeById("video", quality.value, true); }
    say(auto ? "Quality: automatic" : "Quality: " + quality.options[quality.selectedIndex].text);
  });
  subtitles.addEventListener("change", function () {
    const tracks = video.textTracks;
    for (let i = 0; i < tracks.length; i++) {
      tracks[i].mode = String(i) === subtitles.value ? "showing" : "disabled";
    }
    say(subtitles.value === "" ? "Subtitles off" : "Subtitles: " + subtitles.options[subtitles.selectedIndex].text);
  });

  // -- one timeline, with previews from the WebVTT thumbnails ("sprite.jpg#xywh=x,y,w,h") --
  function seconds(text) {
    return text.trim().split(":").map(parseFloat).reduce(function (total, p) { return total * 60 + p; }, 0);
  }
  if (video.dataset.thumbnails) {
    fetch(video.dataset.thumbnails, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (vtt) {
        const base = new URL(video.dataset.thumbnails, location.href);
        vtt.split(/\n\n+/).forEach(function (block) {
          const lines = block.trim().split("\n");
          const timing = lines.findIndex(function (l) { return l.indexOf("-->") >= 0; });
          if (timing < 0 || !lines[timing + 1]) { return; }
          const range = lines[timing].split("-->");
          const target = lines[timing + 1].trim().split("#xywh=");
          const box = (target[1] || "0,0,160,90").split(",").map(Number);
          cues.push({ start: seconds(range[0]), end: seconds(range[1]), url: new URL(target[0], base).href,
                      x: box[0], y: box[1], w: box[2], h: box[3] });
        });
      }).catch(function () { cues = []; });
  }
  function showPreview(at) {
    const total = duration();
    previewTime.textContent = clock(at);
    const cue = cues.find(function (c) { return at >= c.start && at < c.end; });
    preview.hidden = false;
    preview.classList.toggle("text-only", !cue);
    if (cue) {
      preview.style.width = cue.w + "px";
      preview.style.height = cue.h + "px";
      preview.style.backgroundImage = "url(\"" + cue.url + "\")";
      preview.style.backgroundPosition = "-" + cue.x + "px -" + cue.y + "px";
    }
    const width = timeline.getBoundingClientRect().width;
    const boxWidth = cue ? cue.w : 60;
    const left = total ? (at / total) * width - boxWidth / 2 : 0;
    preview.style.left = Math.min(Math.max(0, left), Math.max(0, width - boxWidth)) + "px";
  }
  function hidePreview() { preview.hidden = true; }
  function pointerTime(event) {
    const box = timeline.getBoundingClientRect();
    return Math.min(Math.max(0, (event.clientX - box.left) / box.width), 1) * duration();
  }
  timeline.addEventListener("input", function () { timeline.dataset.dragging = "1"; showPreview(parseFloat(timeline.value)); });
  timeline.addEventListener("change", function () {
    delete timeline.dataset.dragging;
    video.currentTime = parseFloat(timeline.value);
    hidePreview();
  });
  timeline.addEventListener("pointermove", function (event) { if (event.pointerType === "mouse") { showPreview(pointerTime(event)); } });
  timeline.addEventListener("pointerleave", function () { if (!timeline.dataset.dragging) { hidePreview(); } });
  timeline.addEventListener("pointerup", function () { setTimeout(hidePreview, 600); });
  timeline.addEventListener("blur", hidePreview);

  // -- progress -----------------------------------------------------------------------------
  // the position as last seen playing or seeked: while the page unloads the player may
  // already have reset the element (currentTime 0), which must not be saved as "stopped at 0"
  let position = resumeAt;
  video.addEventListener("timeupdate", function () {
    // a 0 before the resume seek lands (or after a reset) is not where the viewer is
    if (video.readyState > 0 && (video.currentTime > 0.1 || position <= 1)) { position = video.currentTime; }
  });
  let leaving = false;
  function body() {
    const total = duration();
    if (!total) { return null; }
    const here = video.currentTime > 0.1 ? video.currentTime : position;
    const update = { title_id: titleId, position_s: Math.min(here, total),
                     duration_s: total, play_id: playId.slice(0, 64) };
    if (video.dataset.episode) { update.episode = video.dataset.episode; }
    return JSON.stringify(update);
  }
  function send(beacon) {
    const data = body();
    if (!data || leaving || Math.abs(position - lastSent) < 0.5) { return; }
    lastSent = position;
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon("/api/me/progress", new Blob([data], { type: "text/plain" }));
      return;
    }
    inFlight = fetch("/api/me/progress", { method: "POST", credentials: "same-origin", keepalive: true,
                                           headers: { "Content-Type": "application/json" }, body: data })
      .catch(function () { /* the next post carries the position */ });
  }
  setInterval(function () { if (!video.paused) { send(false); } }, PROGRESS_EVERY_MS);
  video.addEventListener("pause", function () { send(false); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { send(true); } });
  window.addEventListener("pagehide", function () { send(true); });
  // a link away from the player (the menu, "About this title") waits for the position to be
  // saved (at most 2 s), so the next page's "Continue watching" already has it: a beacon
  // sent on leaving can arrive after that page is drawn
  document.addEventListener("click", function (event) {
    const link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.closest("#stage") || link.target || event.defaultPrevented || event.button !== 0
        || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    const data = body();
    if (!data) { return; }
    event.preventDefault();
    lastSent = position;
    leaving = true;  // saved here: no beacon from the page going away
    const go = function () { location.href = link.href; };
    const saved = fetch("/api/me/progress", { method: "POST", credentials: "same-origin", keepalive: true,
                                              headers: { "Content-Type": "application/json" }, body: data });
    Promise.race([Promise.all([saved, inFlight]), new Promise(function (done) { setTimeout(done, 2000); })])
      .then(go, go);
  });

  // -- skipping the season's shared intro and credits (found in the audio at encode) --------
  let segments = [];
  try { segments = JSON.parse(video.dataset.segments || "[]"); } catch (e) { segments = []; }
  const intro = segments.find(function (s) { return s.kind === "intro"; });
  const credits = segments.find(function (s) { return s.kind === "credits"; });
  const skipIntro = $("skip-intro");
  const skipCredits = $("skip-credits");
  video.addEventListener("timeupdate", function () {
    const t = video.currentTime;
    if (intro) { skipIntro.hidden = !(t >= intro.start_s && t < intro.end_s - 0.5); }
    if (credits) { skipCredits.hidden = !(t >= credits.start_s && t < duration() - 0.5); }
  });
  skipIntro.addEventListener("click", function () {
    if (intro) { video.currentTime = intro.end_s; skipIntro.hidden = true; say("Intro skipped"); }
  });
  skipCredits.addEventListener("click", function () { skipCredits.hidden = true; finished(); });

  // -- the end: the next episode with a countdown, or a film's end card ---------------------
  function upNextFrom() {
    if (credits) { return credits.start_s; }  // the credits, found in the audio
    const total = duration();
    return total ? Math.max(total * 0.9, total - 20) : Infinity;
  }
  function goNext() { if (next) { send(true); location.href = next.href; } }
  function stopCountdown() { if (countdown) { clearInterval(countdown); countdown = null; } }
  function showUpNext() {
    if (!upNext || upNextCancelled || !upNext.hidden) { return; }
    upNext.hidden = false;
    let left = UP_NEXT_COUNTDOWN_S;
    upNextCount.textContent = "Starts in " + left + " s";
    countdown = setInterval(function () {
      if (video.paused && !video.ended) { return; }  // paused: the countdown waits
      left -= 1;
      upNextCount.textContent = "Starts in " + Math.max(0, left) + " s";
      if (left <= 0) { stopCountdown(); goNext(); }
    }, 1000);
  }
  if (upNext) {
    $("up-next-cancel").addEventListener("click", function () {
      upNextCancelled = true;
      stopCountdown();
      upNext.hidden = true;
      say("Up next cancelled");
    });
    video.addEventListener("timeupdate", function () { if (video.currentTime >= upNextFrom()) { showUpNext(); } });
  }
  // the end: "ended", dash.js's own end of stream, or the last quarter second reached (a
  // stream whose audio ends a frame before its video may never fire "ended")
  let finishedShown = false;
  function finished() {
    if (finishedShown) { return; }
    finishedShown = true;
    send(false);
    if (upNext && !upNextCancelled) { goNext(); return; }
    if (endCard) {
      video.pause();
      endCard.hidden = false;
      $("watch-again").focus();
    }
  }
  video.addEventListener("ended", finished);
  player.on(dashjs.MediaPlayer.events.PLAYBACK_ENDED, finished);
  video.addEventListener("timeupdate", function () {
    const total = duration();
    if (total && video.currentTime >= total - 0.25) { finished(); }
  });
  // the end card's "More like this": asked for once the video plays, so the graph's answer
  // never stands between the click on Play and the first frame
  const endSimilar = $("end-similar");
  function loadSimilar() {
    video.removeEventListener("playing", loadSimilar);
    if (!endSimilar || !endSimilar.dataset.src) { return; }
    fetch(endSimilar.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (answer) {
        const list = endSimilar.querySelector("ul");
        (answer.results || []).slice(0, 6).forEach(function (t) {
          const item = document.createElement("li");
          item.className = "card";
          const link = document.createElement("a");
          link.href = "/titles/" + encodeURIComponent(t.id);
          const img = document.createElement("img");
          img.src = t.poster_url; img.alt = ""; img.loading = "lazy"; img.width = 171; img.height = 256;
          const name = document.createElement("span");
          name.className = "name"; name.textContent = t.name;
          const meta = document.createElement("span");
          meta.className = "meta"; meta.textContent = (t.year || "") + (t.playable ? " · Available" : "");
          link.append(img, name, meta); item.append(link); list.append(item);
        });
        endSimilar.hidden = !list.children.length;
      })
      .catch(function () { /* no similar titles: the end card still offers Watch again */ });
  }
  video.addEventListener("playing", loadSimilar);
  if (endCard) {
    $("watch-again").addEventListener("click", function () {
      endCard.hidden = true;
      finishedShown = false;
      position = 0;
      video.currentTime = 0;
      video.play();
    });
  }

  // -- keys ---------------------------------------------------------------------------------
  document.addEventListener("keydown", function (e) {
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "SELECT" || tag === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (tag === "INPUT" && e.target !== timeline && e.target !== volume) { return; }
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) { return; }  // the button's own action
    const key = e.key.toLowerCase();
    if (key === " " || key === "k") { e.preventDefault(); toggle(); }
    else if (key === "arrowleft" && e.target !== volume) { e.preventDefault(); seekBy(-10); }
    else if (key === "arrowright" && e.target !== volume) { e.preventDefault(); seekBy(10); }
    else if (key === "arrowup") { e.preventDefault(); setVolume((video.muted ? 0 : video.volume) + 0.1); say("Volume " + Math.round(video.volume * 100) + "%"); }
    else if (key === "arrowdown") { e.preventDefault(); setVolume(video.volume - 0.1); say("Volume " + Math.round(video.volume * 100) + "%"); }
    else if (key === "m") { video.muted = !video.muted; if (!video.muted) { unmute.hidden = true; } say(video.muted ? "Muted" : "Sound on"); }
    else if (key === "f") { $("fullscreen").click(); }
    else if (key === "c" && subtitles.options.length > 1) {
      subtitles.selectedIndex = (subtitles.selectedIndex + 1) % subtitles.options.length;
      subtitles.dispatchEvent(new Event("change"));
    }
  });
  paintButtons();
})();
