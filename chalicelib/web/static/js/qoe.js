// Playback quality beacons for the player (chalicelib/telemetry): per play, the video start
// time (from the click on Play, or from the page's start when it was opened directly, to
// the first frame shown while playing), rebuffering after the first frame (not the waits of
// a seek), rendition switches, time watched per rendition, dropped frames, errors, and a
// viewer leaving before the first frame. Events go in small batches, numbered per play
// (a batch sent twice counts once), every 10 s, at once for the start, and with
// navigator.sendBeacon when the page is hidden or goes away. Renditions are named as the
// play grant names them (data-renditions: the encoder's rungs, matched by size), so a wide
// film's 1920x800 picture counts as its "1080p" rung. Only leaving the page (not hiding it
// behind another tab) before the first frame is an exit before video start.
"use strict";
(function () {
  const video = document.getElementById("video");
  const player = window.notflixPlayer;
  if (!video || !player || !window.dashjs || !video.dataset.play) { return; }
  const playId = video.dataset.play;
  const ENDPOINT = "/api/me/playback-events";
  const EVERY_MS = 10000;
  const MAX_EVENTS = 60;
  const events = dashjs.MediaPlayer.events;
  const now = function () { return performance.timeOrigin + performance.now(); };

  let origin = performance.timeOrigin;
  try {
    const click = JSON.parse(sessionStorage.getItem("notflix.playClick") || "null");
    sessionStorage.removeItem("notflix.playClick");
    if (click && typeof click.at === "number" && click.path === location.pathname
        && click.at <= now() && now() - click.at < 120000) { origin = click.at; }
  } catch (e) { /* no click: from the page's start */ }

  let queue = [];
  let seq = 0;
  let unsent = [];  // batches whose post failed: sent again, with their numbers
  const watched = {};  // rendition -> ms not yet reported
  let started = false;
  let ended = false;   // exit before start reported: nothing more to say
  let rendition = null;
  let lastTime = null;
  let stallAt = null;
  let seeking = false;
  let droppedSent = 0;

  let ladder = [];
  try { ladder = JSON.parse(video.dataset.renditions || "[]"); } catch (e) { ladder = []; }
  function nameOf(rep) {
    if (!rep) { return null; }
    const w = Number(rep.width) || 0, h = Number(rep.height) || 0;
    let best = null, off = Infinity;
    ladder.forEach(function (rung) {  // the grant's rung of this size, or the nearest one
      const d = Math.abs((Number(rung.width) || 0) - w) + Math.abs((Number(rung.height) || 0) - h);
      if (rung.name && d < off) { best = String(rung.name); off = d; }
    });
    if (best && off <= 0.1 * (w + h)) { return best; }
    const side = w && h ? Math.min(w, h) : (h || w);
    return side ? side + "p" : (rep.id ? String(rep.id).slice(0, 16) : null);
  }
  function currentRendition() {
    try { return nameOf(player.getCurrentRepresentationForType("video")); } catch (e) { return null; }
  }
  function push(event) { if (!ended) { queue.push(event); } if (queue.length >= MAX_EVENTS) { flush(false); } }

  function batch() {
    Object.keys(watched).forEach(function (name) {
      const ms = Math.round(watched[name]);
      if (ms > 0) { queue.push({ type: "rendition_time", rendition: name, ms: Math.min(ms, 3600000) }); }
      delete watched[name];
    });
    if (started && video.getVideoPlaybackQuality) {
      const dropped = video.getVideoPlaybackQuality().droppedVideoFrames || 0;
      if (dropped > droppedSent) {
        queue.push({ type: "dropped_frames", frames: dropped - droppedSent, rendition: rendition || undefined });
        droppedSent = dropped;
      }
    }
    if (!queue.length) { return null; }
    const body = JSON.stringify({ play_id: playId, seq: seq, events: queue.slice(0, 64) });
    queue = queue.slice(64);
    seq += 1;
    return body;
  }
  function post(body) {
    fetch(ENDPOINT, { method: "POST", credentials: "same-origin", keepalive: true,
                      headers: { "Content-Type": "application/json" }, body: body })
      .then(function (r) { if (r.status >= 500) { unsent.push(body); } })
      .catch(function () { unsent.push(body); });  // sent again with the same number
  }
  function flush(leaving) {
    const bodies = unsent.slice(-8);  // the failed ones first (a few: a long outage drops)
    unsent = [];
    const fresh = batch();
    if (fresh) { bodies.push(fresh); }
    bodies.forEach(function (body) {
      const beaconed = leaving && navigator.sendBeacon
        && navigator.sendBeacon(ENDPOINT, new Blob([body], { type: "text/plain" }));
      if (!beaconed) { post(body); }  // no beacon, or the browser refused to queue it
    });
  }

  // -- the first frame ----------------------------------------------------------------------
  function firstFrame(at) {
    if (started || ended) { return; }
    started = true;
    rendition = currentRendition() || rendition;
    lastTime = video.currentTime;
    push({ type: "start", startup_ms: Math.max(0, Math.min(600000, Math.round(at - origin))),
           rendition: rendition || "other" });
    video.dataset.qoeStart = String(Math.round(at - origin));
    flush(false);
  }
  video.addEventListener("playing", function () {
    if (started) { return; }
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(function (t) { firstFrame(performance.timeOrigin + t); });
    } else {
      const startAt = video.currentTime;
      const check = function () {
        if (video.currentTime > startAt) { video.removeEventListener("timeupdate", check); firstFrame(now()); }
      };
      video.addEventListener("timeupdate", check);
    }
  });

  // -- rebuffering: waiting after the first frame, not a seek's --------------------------------
  function stallEnds() {
    if (stallAt === null) { return; }
    const ms = Math.round(now() - stallAt);
    stallAt = null;
    if (ms > 0) { push({ type: "rebuffer", ms: Math.min(ms, 600000), rendition: rendition || undefined }); }
  }
  video.addEventListener("seeking", function () { seeking = true; stallAt = null; });
  video.addEventListener("seeked", function () { seeking = false; lastTime = video.currentTime; });
  video.addEventListener("waiting", function () {
    if (started && !seeking && !video.paused && stallAt === null) { stallAt = now(); }
  });
  video.addEventListener("playing", stallEnds);
  video.addEventListener("pause", stallEnds);
  video.addEventListener("timeupdate", function () {
    const t = video.currentTime;
    if (started && lastTime !== null && !seeking) {
      const delta = t - lastTime;
      if (delta > 0 && delta < 1.5) {
        if (stallAt !== null) { stallEnds(); }
        const name = rendition || "other";
        watched[name] = (watched[name] || 0) + delta * 1000;
      }
    }
    lastTime = t;
  });

  // -- switches and errors ---------------------------------------------------------------------
  player.on(events.QUALITY_CHANGE_RENDERED, function (e) {
    if (!e || e.mediaType !== "video") { return; }
    const to = nameOf(e.newRepresentation), from = nameOf(e.oldRepresentation) || rendition;
    if (to && from && to !== from && started) { push({ type: "switch", from: from, to: to }); }
    if (to) { rendition = to; }
  });
  function error(code, message) {
    push({ type: "error", code: String(code).slice(0, 64), message: String(message || "").slice(0, 200),
           before_start: !started });
    if (!started) { flush(false); }
  }
  player.on(events.ERROR, function (e) {
    const err = (e && e.error) || {};
    error("dash_" + (err.code || "unknown"), err.message);
  });
  video.addEventListener("error", function () {
    error("media_" + (video.error ? video.error.code : "unknown"), video.error && video.error.message);
  });

  // -- leaving -----------------------------------------------------------------------------------
  function hidden() {  // maybe for good (a phone may never say pagehide): send what there is
    if (stallAt !== null) { stallEnds(); }
    flush(true);
  }
  function leave(e) {
    if (!started && !ended && !(e && e.persisted)) {  // gone, not kept for the back button
      push({ type: "exit_before_start", waited_ms: Math.max(0, Math.min(3600000, Math.round(now() - origin))) });
      ended = true;
    }
    hidden();
  }
  setInterval(function () { flush(false); }, EVERY_MS);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { hidden(); } });
  window.addEventListener("pagehide", leave);
})();
