// My List toggles and thumbs, without leaving the page: each is a form that works without
// JavaScript (a post, then 303 back here); with it, the same change goes to the JSON API
// (PUT/DELETE /api/me/list/{id}, PUT/DELETE /api/me/ratings/{id}) and the buttons follow.
// Every toggle of one title on the page (a card, the title's own button) changes together, and
// a "mylist:change" event tells scripts that draw cards later.
"use strict";
(function () {
  function listLabel(button, kept) {
    const name = button.closest("form").dataset.name || "this title";
    button.textContent = kept ? "✓ In My List" : "+ My List";
    button.setAttribute("aria-pressed", kept ? "true" : "false");
    button.setAttribute("aria-label", (kept ? "Remove " : "Add ") + name + (kept ? " from My List" : " to My List"));
  }
  function showList(titleId, kept) {
    document.querySelectorAll('form[data-pick="list"]').forEach(function (form) {
      if (form.dataset.title !== titleId) { return; }
      form.action = form.action.replace(/\/(add|remove)(\?|$)/, "/" + (kept ? "remove" : "add") + "$2");
      listLabel(form.querySelector("button"), kept);
    });
  }
  function showThumb(titleId, thumb) {
    document.querySelectorAll('form[data-pick="thumbs"]').forEach(function (form) {
      if (form.dataset.title !== titleId) { return; }
      form.querySelectorAll("button[data-thumb]").forEach(function (button) {
        const on = button.dataset.thumb === thumb;
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.value = on ? "clear" : button.dataset.thumb;
      });
    });
  }
  function call(method, url, body) {
    const options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const kind = form && form.dataset ? form.dataset.pick : null;
    if (!kind || !form.dataset.title) { return; }
    event.preventDefault();  // a second click while the first is in flight stays here too
    if (form.dataset.busy) { return; }
    const titleId = form.dataset.title;
    const url = (kind === "list" ? "/api/me/list/" : "/api/me/ratings/") + encodeURIComponent(titleId);
    let done;
    if (kind === "list") {
      const kept = form.querySelector("button").getAttribute("aria-pressed") === "true";
      done = call(kept ? "DELETE" : "PUT", url).then(function (answer) {
        showList(titleId, answer.in_list);
        // cards drawn later (search as you type) start from the list as it is now
        document.dispatchEvent(new CustomEvent("mylist:change", { detail: { title: titleId, kept: answer.in_list } }));
      });
    } else {
      const value = event.submitter ? event.submitter.value : "";
      done = (value === "clear" ? call("DELETE", url) : call("PUT", url, { thumb: value }))
        .then(function (answer) { showThumb(titleId, answer.thumb); });
    }
    form.dataset.busy = "1";
    done.catch(function () {
      // the page's own answer (a full list, a lost session) says what went wrong
      if (event.submitter && event.submitter.name) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = event.submitter.name;
        field.value = event.submitter.value;
        form.appendChild(field);
      }
      form.submit();
    }).finally(function () { delete form.dataset.busy; });
  });
}());
