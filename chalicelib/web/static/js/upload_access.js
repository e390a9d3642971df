// Admin page: each uploader's titles (what they may upload to), with Assign and Remove.
"use strict";
(function () {
  function call(method, url) {
    return fetch(url, { method: method, credentials: "same-origin", headers: { "Content-Type": "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); });
  }
  function failure(answer) { return answer.body && answer.body.error ? answer.body.error.message : "That did not work."; }

  document.querySelectorAll("details.upload-access").forEach(function (box) {
    const list = box.querySelector(".access-titles");
    const form = box.querySelector(".access-grant");
    const status = box.querySelector(".status");
    const endpoint = box.dataset.endpoint;
    let loaded = false;

    function item(entry) {
      const li = document.createElement("li");
      const name = entry.name ? entry.name + (entry.year ? " (" + entry.year + ")" : "") : "(title gone)";
      li.appendChild(document.createTextNode(name + " · " + entry.title_id + " · " +
        (entry.via === "created" ? "created by them" : "assigned by " + entry.granted_by_email) + " "));
      const remove = document.createElement("button");
      remove.type = "button"; remove.className = "secondary"; remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + name + " from " + box.dataset.email);
      remove.addEventListener("click", function () {
        remove.disabled = true;
        call("DELETE", endpoint + "/" + encodeURIComponent(entry.title_id)).then(function (answer) {
          status.textContent = answer.ok ? "Removed " + name + "." : failure(answer);
          if (answer.ok) { li.remove(); } else { remove.disabled = false; }
        }).catch(function () { status.textContent = "The service is unavailable; try again."; remove.disabled = false; });
      });
      li.appendChild(remove);
      return li;
    }

    function load() {
      call("GET", endpoint).then(function (answer) {
        if (!answer.ok) { status.textContent = failure(answer); return; }
        loaded = true;
        list.replaceChildren.apply(list, answer.body.titles.map(item));
        status.textContent = answer.body.titles.length ? "" : "No titles yet: they may upload only to titles they create.";
      }).catch(function () { status.textContent = "The service is unavailable; try again."; });
    }

    box.addEventListener("toggle", function () { if (box.open && !loaded) { load(); } });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const titleId = form.title_id.value.trim();
      if (!titleId) { return; }
      call("PUT", endpoint + "/" + encodeURIComponent(titleId)).then(function (answer) {
        if (!answer.ok) { status.textContent = failure(answer); return; }
        status.textContent = "Assigned " + (answer.body.name || titleId) + ".";
        form.title_id.value = "";
        load();
      }).catch(function () { status.textContent = "The service is unavailable; try again."; });
    });
  });
})();
