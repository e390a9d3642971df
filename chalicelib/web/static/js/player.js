// The Notflix player: dash.js with adaptive bitrate and a manual quality choice, resume,
// progress posts (every 10 s, on pause and when the page goes away), scrubbing previews from
// the WebVTT thumbnails track, subtitles, keyboard shortcuts and the next episode.
"use strict";
(function () {
  const video = document.getElementById("video");
  if (!video || !window.dashjs) { return; }
  const status = document.getElementById("player-status");
  const quality = document.getElementById("quality");
  const subtitles = document.getElementById("subtitles");
  const scrub = document.getElementById("scrub");
  const preview = document.getElementById("preview");
  const previewTime = document.getElementById("preview-time");
  const titleId = video.dataset.title;
  const resumeAt = parseFloat(video.dataset.resume || "0");
  const playId = (self.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9_-]/g, "");
  const PROGRESS_EVERY_MS = 10000;
  let lastSent = -1;
  let cues = [];

  const player = dashjs.MediaPlayer().create();
  player.initialize(video, video.dataset.manifest, false, resumeAt > 0 ? resumeAt : undefined);
  window.notflixPlayer = player;  // for tests and curious people

  function say(text) { if (status) { status.textContent = text; } }

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
  });
  player.on(dashjs.MediaPlayer.events.ERROR, function (e) {
    say("Playback problem: " + ((e && e.error && e.error.message) || "the stream could not be loaded"));
  });

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
  });

  function clock(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }

  function body() {
    const duration = video.duration && isFinite(video.duration) ? video.duration : parseFloat(video.dataset.duration || "0");
    if (!duration) { return null; }
    const update = { title_id: titleId, position_s: Math.min(video.currentTime, duration),
                     duration_s: duration, play_id: playId.slice(0, 64) };
    if (video.dataset.episode) { update.episode = video.dataset.episode; }
    return JSON.stringify(update);
  }
  function send(beacon) {
    const data = body();
    if (!data || Math.abs(video.currentTime - lastSent) < 0.5) { return; }
    lastSent = video.currentTime;
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon("/api/me/progress", new Blob([data], { type: "text/plain" }));
      return;
    }
    fetch("/api/me/progress", { method: "POST", credentials: "same-origin", keepalive: true,
                                headers: { "Content-Type": "application/json" }, body: data })
      .catch(function () { /* the next post carries the position */ });
  }
  setInterval(function () { if (!video.paused) { send(false); } }, PROGRESS_EVERY_MS);
  video.addEventListener("pause", function () { send(false); });
  video.addEventListener("ended", function () {
    send(false);
    const next = document.getElementById("next");
    if (next) { say("Next episode in 5 s"); setTimeout(function () { location.href = next.href; }, 5000); }
  });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { send(true); } });
  window.addEventListener("pagehide", function () { send(true); });

  // scrubbing previews: cues "start --> end" + "sprite.jpg#xywh=x,y,w,h"
  function seconds(text) {
    const parts = text.trim().split(":").map(parseFloat);
    return parts.reduce(function (total, p) { return total * 60 + p; }, 0);
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
    const cue = cues.find(function (c) { return at >= c.start && at < c.end; });
    if (!cue) { preview.hidden = true; return; }
    preview.hidden = false;
    preview.style.width = cue.w + "px";
    preview.style.height = cue.h + "px";
    preview.style.backgroundImage = "url(\"" + cue.url + "\")";
    preview.style.backgroundPosition = "-" + cue.x + "px -" + cue.y + "px";
    previewTime.textContent = clock(at);
  }
  scrub.addEventListener("input", function () { showPreview(parseFloat(scrub.value)); });
  scrub.addEventListener("change", function () { video.currentTime = parseFloat(scrub.value); preview.hidden = true; });
  scrub.addEventListener("blur", function () { preview.hidden = true; });
  video.addEventListener("timeupdate", function () { if (document.activeElement !== scrub) { scrub.value = String(Math.floor(video.currentTime)); } });

  document.addEventListener("keydown", function (e) {
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    const key = e.key.toLowerCase();
    if (key === " " || key === "k") { e.preventDefault(); if (video.paused) { video.play(); } else { video.pause(); } }
    else if (key === "arrowleft") { video.currentTime = Math.max(0, video.currentTime - 10); }
    else if (key === "arrowright") { video.currentTime = video.currentTime + 10; }
    else if (key === "m") { video.muted = !video.muted; say(video.muted ? "Muted" : "Sound on"); }
    else if (key === "f") { if (document.fullscreenElement) { document.exitFullscreen(); } else if (video.requestFullscreen) { video.requestFullscreen(); } }
    else if (key === "c" && subtitles.options.length > 1) {
      subtitles.selectedIndex = (subtitles.selectedIndex + 1) % subtitles.options.length;
      subtitles.dispatchEvent(new Event("change"));
    }
  });
})();
