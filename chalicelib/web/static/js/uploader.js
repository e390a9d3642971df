// Resumable multipart uploads straight to S3, without a page: window.NotflixUploads.
//
// The API starts an S3 multipart upload, signs part URLs in batches and completes it; the
// bytes go from the browser to S3 in parts (file.slice), four at a time, each PUT by
// XMLHttpRequest for its upload progress. A part that fails is sent again after an
// exponential back-off with jitter (capped at 30 s), for as long as the page is open; the
// window's `online` event, or any part getting through, retries the waiting ones at once.
// Pausing aborts the requests in flight (those parts are sent again on resume). A page that
// died half-way resumes by listing the parts S3 holds and sending only the others.
"use strict";
(function (global) {
  const CONCURRENCY = 4;
  const SIGN_BATCH = 40;           // part URLs asked for at once (the API signs up to 100)
  const SIGN_AHEAD = 2 * CONCURRENCY; // keep this many signed parts ready before asking again
  const URL_MARGIN_MS = 120000;    // a URL with less than this left is signed again
  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const STALL_MS = 60000;          // a part request silent this long is dropped and sent again
  const SPEED_WINDOW_MS = 5000;    // the speed is the average over the last 5 seconds
  const TICK_MS = 250;
  const MAX_RECONCILES = 3;

  // An answer from the API that is not a success; `transient` ones are retried.
  class ApiError extends Error {
    constructor(status, body) {
      const error = body && body.error ? body.error : {};
      super(error.message || (status ? "The service answered " + status + "." : "The connection failed."));
      this.status = status;
      this.code = error.code || null;
      this.transient = status === 0 || status === 408 || status === 429 || status >= 500;
    }
  }

  // JSON to and from the API with the page's session cookie; a network failure is status 0.
  function api(method, url, body) {
    const init = { method: method, credentials: "same-origin", cache: "no-store", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) { throw new ApiError(response.status, data); }
        return data;
      });
    }, function () { throw new ApiError(0, null); });
  }

  // Exponential back-off with "equal jitter": half the delay fixed, half random.
  function backoff(attempt) {
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * Math.pow(2, Math.max(0, attempt - 1)));
    return delay / 2 + Math.random() * delay / 2;
  }

  function bare(etag) { return String(etag || "").replace(/"/g, "").toLowerCase(); }

  class MultipartUpload {
    // upload: the API's upload object (upload_id, size, part_size, part_count, status_url...)
    // onChange(upload): called (at most a few times a second) whenever something moved.
    constructor(file, upload, onChange) {
      this.file = file;
      this.upload = upload;
      this.base = "/api/admin/uploads/" + encodeURIComponent(upload.upload_id);
      this.onChange = onChange || function () {};
      this.state = "ready";        // ready, running, paused, completing, done, failed, cancelled
      this.error = null;           // why it failed (an ApiError or Error)
      this.resumedParts = 0;       // parts S3 held when this page took the upload over
      this.parts = [];
      for (let n = 1; n <= upload.part_count; n++) {
        const start = (n - 1) * upload.part_size;
        this.parts.push({ number: n, start: start, size: Math.min(upload.part_size, upload.size - start),
                          etag: null, url: null, expires: 0 /* usable until */, xhr: null, loaded: 0,
                          attempt: 0, retryAt: 0, lastProgress: 0 });
      }
      this.sent = 0;               // bytes that left this page (kept when a part is dropped)
      this.samples = [];           // [time, sent] over the last few seconds, for the speed
      this.signing = false;
      this.signAttempt = 0;
      this.signRetryAt = 0;
      this.completeAttempt = 0;
      this.completeRetryAt = 0;
      this.completing = false;     // a completion request is on its way
      this.reconciles = 0;
      // Why requests are being retried: null, "connection" (no answer at all) or "refused"
      // (S3 or the API answered with an error, `lastStatus`).
      this.trouble = null;
      this.lastStatus = 0;
      this.wakeTimer = null;
      this.ticker = null;
      this.changed = false;
      this.onOnline = this.retryNow.bind(this);
    }

    // Parts S3 already holds (GET .../parts): they are not sent again.
    markStored(stored) {
      const self = this;
      let count = 0;
      stored.forEach(function (held) {
        const part = self.parts[held.part_number - 1];
        if (part && held.size === part.size) { part.etag = held.etag; count++; }
      });
      this.resumedParts = count;
    }

    start() {
      if (this.state !== "ready" && this.state !== "paused") { return; }
      this.state = "running";
      global.addEventListener("online", this.onOnline);
      if (!this.ticker) { this.ticker = setInterval(this.tick.bind(this), TICK_MS); }
      this.retryNow();
    }

    pause() {
      if (this.state !== "running") { return; }
      this.state = "paused";
      this.parts.forEach(this.drop, this);
      this.samples = [];
      this.emit();
    }

    resume() { if (this.state === "paused") { this.start(); } }

    // Stop sending and abort the multipart upload: S3 drops the parts it holds.
    cancel() {
      const self = this;
      const was = this.state;
      this.stop("cancelled");
      return api("DELETE", this.base).then(function (answer) {
        self.emit();
        return answer;
      }, function (error) {
        if (error.code === "upload_aborted") { return null; }  // cancelled elsewhere already
        self.state = was === "done" ? "done" : "failed";
        self.error = error;
        self.emit();
        throw error;
      });
    }

    // Retry whatever waits (parts, signing, completing) now: the connection is back.
    retryNow() {
      this.parts.forEach(function (part) { part.retryAt = 0; });
      this.signRetryAt = 0;
      this.completeRetryAt = 0;
      this.next();
    }

    // Carry on with whatever the state calls for.
    next() {
      if (this.state === "running") { this.pump(); }
      else if (this.state === "completing" && !this.completing && !this.completeRetryAt) { this.finish(); }
    }

    // -- progress --------------------------------------------------------------------------
    snapshot() {
      let done = 0, partsDone = 0;
      const now = Date.now();
      let retryAt = Infinity;
      this.parts.forEach(function (part) {
        if (part.etag) { done += part.size; partsDone++; }
        else {
          done += part.loaded;
          if (!part.xhr && part.retryAt > now) { retryAt = Math.min(retryAt, part.retryAt); }
        }
      });
      if (this.signRetryAt > now) { retryAt = Math.min(retryAt, this.signRetryAt); }
      if (this.completeRetryAt > now) { retryAt = Math.min(retryAt, this.completeRetryAt); }
      const speed = this.speed();
      const total = this.upload.size;
      return {
        state: this.state, total: total, done: done, partsDone: partsDone,
        partCount: this.parts.length, resumedParts: this.resumedParts,
        percent: this.state === "done" ? 100 : Math.min(100, done / total * 100),
        speed: speed, secondsLeft: speed > 0 ? (total - done) / speed : null,
        trouble: this.trouble, lastStatus: this.lastStatus,
        retryIn: this.trouble && retryAt !== Infinity ? Math.ceil((retryAt - now) / 1000) : null,
        error: this.error
      };
    }

    speed() {
      if (this.state !== "running" || this.samples.length < 2) { return null; }
      const first = this.samples[0], last = this.samples[this.samples.length - 1];
      const seconds = (last[0] - first[0]) / 1000;
      return seconds >= 1 ? (last[1] - first[1]) / seconds : null;
    }

    tick() {
      const now = Date.now();
      if (this.state === "running") {
        this.samples.push([now, this.sent]);
        while (this.samples.length > 2 && this.samples[0][0] < now - SPEED_WINDOW_MS) { this.samples.shift(); }
        const self = this;
        this.parts.forEach(function (part) {
          if (part.xhr && now - part.lastProgress > STALL_MS) { self.drop(part); self.failed(part, null); }
        });
      }
      this.changed = true;
      this.flush();
    }

    emit() { this.changed = true; if (!this.ticker) { this.flush(); } }

    flush() {
      if (!this.changed) { return; }
      this.changed = false;
      this.onChange(this);
    }

    // -- scheduling ------------------------------------------------------------------------
    pump() {
      if (this.state !== "running") { return; }
      const now = Date.now();
      let active = 0, waiting = 0;
      this.parts.forEach(function (part) { if (part.xhr) { active++; } else if (!part.etag) { waiting++; } });
      if (!active && !waiting) { this.complete(); return; }
      for (let i = 0; i < this.parts.length && active < CONCURRENCY; i++) {
        const part = this.parts[i];
        if (part.etag || part.xhr || part.retryAt > now || !this.signed(part, now)) { continue; }
        this.send(part);
        active++;
      }
      this.signAhead(now);
      this.wake();
    }

    signed(part, now) { return part.url !== null && part.expires > now; }

    // Sign the next batch of parts when fewer than SIGN_AHEAD are ready to go.
    signAhead(now) {
      if (this.signing || this.signRetryAt > now) { return; }
      const self = this;
      let ready = 0;
      const wanted = [];
      this.parts.forEach(function (part) {
        if (part.etag || part.xhr) { return; }
        if (self.signed(part, now)) { ready++; } else if (wanted.length < SIGN_BATCH) { wanted.push(part.number); }
      });
      if (!wanted.length || ready >= SIGN_AHEAD) { return; }
      this.signing = true;
      api("POST", this.base + "/parts", { part_numbers: wanted }).then(function (answer) {
        self.signing = false;
        self.signAttempt = 0;
        self.connected();
        // used until URL_MARGIN_MS before expiry (or half its life, for short-lived URLs)
        const life = answer.expires_in * 1000;
        const expires = Date.now() + life - Math.min(URL_MARGIN_MS, life / 2);
        answer.urls.forEach(function (signed) {
          const part = self.parts[signed.part_number - 1];
          if (part) { part.url = signed.url; part.expires = expires; }
        });
        self.pump();
      }, function (error) {
        self.signing = false;
        if (self.state !== "running" && self.state !== "paused") { return; }
        if (!error.transient) { self.fail(error); return; }
        self.signAttempt++;
        self.signRetryAt = Date.now() + backoff(self.signAttempt);
        self.troubled(error.status);
        self.wake();
      });
    }

    // One timer, set for the earliest retry due.
    wake() {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      if (this.state !== "running" && this.state !== "completing") { return; }
      let next = Infinity;
      const now = Date.now();
      this.parts.forEach(function (part) { if (!part.etag && !part.xhr && part.retryAt > now) { next = Math.min(next, part.retryAt); } });
      if (this.signRetryAt > now) { next = Math.min(next, this.signRetryAt); }
      if (this.completeRetryAt > now) { next = Math.min(next, this.completeRetryAt); }
      if (next !== Infinity) {
        const self = this;
        this.wakeTimer = setTimeout(function () {
          self.wakeTimer = null;
          if (self.completeRetryAt <= Date.now()) { self.completeRetryAt = 0; }
          self.next();
        }, next - now + 5);
      }
    }

    // -- parts -----------------------------------------------------------------------------
    send(part) {
      const self = this;
      const xhr = new XMLHttpRequest();
      part.xhr = xhr;
      part.loaded = 0;
      part.lastProgress = Date.now();
      xhr.open("PUT", part.url);
      xhr.upload.addEventListener("progress", function (event) {
        if (part.xhr !== xhr) { return; }
        self.sent += Math.max(0, event.loaded - part.loaded);
        part.loaded = Math.min(event.loaded, part.size);
        part.lastProgress = Date.now();
        self.changed = true;
      });
      xhr.addEventListener("load", function () {
        if (part.xhr !== xhr) { return; }
        part.xhr = null;
        if (xhr.status >= 200 && xhr.status < 300) {
          const etag = xhr.getResponseHeader("ETag");
          if (!etag) {
            self.fail(new Error("S3 stored part " + part.number + " but did not show its ETag: the bucket's CORS rules must expose the ETag header."));
            return;
          }
          part.etag = etag;
          part.loaded = part.size;
          part.attempt = 0;
          self.connected();
          self.pump();
        } else {
          // 403: the signature expired (a sleeping laptop); 404: S3 no longer knows the upload
          // (cancelled elsewhere). Signing again either fixes it or says why it cannot.
          if (xhr.status === 403 || xhr.status === 404) { part.url = null; }
          self.failed(part, xhr.status);
        }
      });
      function lost() {
        if (part.xhr !== xhr) { return; }
        part.xhr = null;
        self.failed(part, null);
      }
      xhr.addEventListener("error", lost);
      xhr.addEventListener("timeout", lost);
      xhr.send(this.file.slice(part.start, part.start + part.size));
    }

    // Abort a part's request; its bytes are sent again later.
    drop(part) {
      if (!part.xhr) { return; }
      const xhr = part.xhr;
      part.xhr = null;
      part.loaded = 0;
      xhr.abort();
    }

    // A part did not get through (status null: no answer at all): back off and retry.
    failed(part, status) {
      part.loaded = 0;
      part.attempt++;
      // A refused signature is signed again at once, the first time.
      if ((status === 403 || status === 404) && part.attempt === 1) { part.retryAt = 0; }
      else {
        part.retryAt = Date.now() + backoff(part.attempt);
        this.troubled(status);
      }
      this.emit();
      this.pump();
    }

    troubled(status) {
      this.trouble = status ? "refused" : "connection";
      this.lastStatus = status || 0;
      this.emit();
    }

    // Something got through: the connection is back, so whatever waits is tried now.
    connected() {
      if (!this.trouble) { return; }
      this.trouble = null;
      const now = Date.now();
      this.parts.forEach(function (part) { if (part.retryAt > now) { part.retryAt = 0; } });
      if (this.signRetryAt > now) { this.signRetryAt = 0; }
      this.emit();
    }

    // -- completing ------------------------------------------------------------------------
    complete() {
      this.state = "completing";
      this.samples = [];
      this.emit();
      this.finish();
    }

    finish() {
      const self = this;
      if (this.state !== "completing" || this.completing) { return; }
      this.completing = true;
      const parts = this.parts.map(function (part) { return { part_number: part.number, etag: part.etag }; });
      api("POST", this.base + "/complete", { parts: parts }).then(function (answer) {
        self.completing = false;
        if (self.state !== "completing") { return; }
        self.connected();
        self.done(answer);
      }, function (error) {
        self.completing = false;
        if (self.state !== "completing") { return; }
        if (error.code === "upload_already_completed") { self.done(null); return; }  // an earlier try's answer was lost
        if (error.code === "upload_parts_mismatch" && self.reconciles < MAX_RECONCILES) { self.reconcile(error); return; }
        if (error.transient || error.code === "upload_completing") {
          self.retryCompleting(error.status);
          return;
        }
        self.fail(error);
      });
    }

    retryCompleting(status) {
      this.completeAttempt++;
      this.completeRetryAt = Date.now() + backoff(this.completeAttempt);
      if (status === 0 || status >= 500) { this.troubled(status); } else { this.emit(); }
      this.wake();
    }

    // The API says the part list is wrong: ask S3 what it holds and send the rest again.
    reconcile(error) {
      const self = this;
      this.reconciles++;
      this.completing = true;
      api("GET", this.base + "/parts").then(function (answer) {
        self.completing = false;
        if (self.state !== "completing") { return; }
        const held = {};
        answer.parts.forEach(function (p) { held[p.part_number] = p; });
        self.parts.forEach(function (part) {
          const stored = held[part.number];
          if (stored && stored.size === part.size) { part.etag = stored.etag; }
          else { part.etag = null; part.attempt = 0; part.retryAt = 0; }
        });
        if (self.parts.every(function (part) { return part.etag; }) && self.reconciles >= MAX_RECONCILES) {
          self.fail(error);
          return;
        }
        self.state = "running";
        self.pump();
      }, function (listing) {
        self.completing = false;
        if (self.state !== "completing") { return; }
        if (listing.transient) { self.retryCompleting(listing.status); } else { self.fail(listing); }
      });
    }

    done(answer) {
      if (answer) { this.upload = Object.assign({}, this.upload, answer); }
      this.parts.forEach(function (part) { part.loaded = part.size; });
      this.stop("done");
      this.emit();
    }

    fail(error) {
      this.error = error;
      this.stop("failed");
      this.emit();
    }

    stop(state) {
      this.state = state;
      this.parts.forEach(this.drop, this);
      clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      clearInterval(this.ticker);
      this.ticker = null;
      this.trouble = null;
      global.removeEventListener("online", this.onOnline);
    }
  }

  // Start uploading `file` (declared: title_id, episode), or take over the unfinished upload
  // of the same file (same name, size and last-modified time) with the parts S3 holds.
  function findUnfinished(file) {
    const query = "?state=UPLOADING&limit=5&file_name=" + encodeURIComponent(file.name) +
      "&size=" + file.size + (file.lastModified ? "&last_modified=" + Math.floor(file.lastModified) : "");
    return api("GET", "/api/admin/uploads" + query).then(function (answer) {
      const found = answer.uploads[0];
      if (!found) { return null; }
      return api("GET", "/api/admin/uploads/" + encodeURIComponent(found.upload_id) + "/parts")
        .catch(function (error) {
          if (!error.transient) { return null; }  // cancelled or expired meanwhile: start afresh
          throw error;
        });
    });
  }

  function contentType(file) {
    return /^[A-Za-z0-9.+-]+\/[A-Za-z0-9.+-]+$/.test(file.type || "") ? file.type : "application/octet-stream";
  }

  function begin(file, declared) {
    const body = { file_name: file.name, content_type: contentType(file), size: file.size };
    if (file.lastModified) { body.last_modified = Math.floor(file.lastModified); }
    if (declared.title_id) { body.title_id = declared.title_id; }
    if (declared.title_id && declared.episode) { body.episode = declared.episode; }
    return api("POST", "/api/admin/uploads", body);
  }

  global.NotflixUploads = { MultipartUpload: MultipartUpload, ApiError: ApiError, api: api,
                            findUnfinished: findUnfinished, begin: begin, backoff: backoff,
                            bareEtag: bare };
})(window);
