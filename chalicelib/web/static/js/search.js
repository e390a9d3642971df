// Results as you type: /api/search after a short pause, the newest answer wins.
"use strict";
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("results");
  const status = document.getElementById("search-status");
  const more = document.getElementById("search-more");
  if (!input || !list) { return; }
  const PAGE = 24;
  let timer = null, asked = 0;
  // a logged-in viewer's list (the page names it): each card gets the server cards' toggle,
  // a form picks.js sends to the API, which posts and comes back here without JavaScript
  const listed = list.dataset.listed ? new Set(JSON.parse(list.dataset.listed)) : null;
  document.addEventListener("mylist:change", function (event) {
    if (!listed) { return; }
    if (event.detail.kept) { listed.add(event.detail.title); } else { listed.delete(event.detail.title); }
  });
  function toggle(t, q) {
    const kept = listed.has(t.id);
    const form = document.createElement("form");
    form.method = "post"; form.className = "list-toggle";
    form.action = "/api/me/list/" + encodeURIComponent(t.id) + "/" + (kept ? "remove" : "add") +
      "?next=" + encodeURIComponent("/search?q=" + encodeURIComponent(q));
    form.dataset.pick = "list"; form.dataset.title = t.id; form.dataset.name = t.name;
    const button = document.createElement("button");
    button.type = "submit"; button.className = "link";
    button.setAttribute("aria-pressed", kept ? "true" : "false");
    button.setAttribute("aria-label", (kept ? "Remove " : "Add ") + t.name + (kept ? " from My List" : " to My List"));
    button.textContent = kept ? "✓ In My List" : "+ My List";
    form.appendChild(button);
    return form;
  }
  function card(t, q) {
    const li = document.createElement("li");
    li.className = "card";
    const a = document.createElement("a");
    a.href = "/titles/" + encodeURIComponent(t.id);
    const img = document.createElement("img");
    img.src = t.poster_url; img.alt = ""; img.loading = "lazy"; img.width = 171; img.height = 256;
    const name = document.createElement("span");
    name.className = "name"; name.textContent = t.name;
    const meta = document.createElement("span");
    meta.className = "meta"; meta.textContent = (t.year || "") + (t.kind === "series" ? " · Series" : "");
    a.append(img, name, meta);
    if (t.match && t.match.kind !== "title") {
      const why = document.createElement("span");
      why.className = "why"; why.textContent = t.match.text;
      a.appendChild(why);
    }
    li.appendChild(a);
    if (listed) { li.appendChild(toggle(t, q)); }
    return li;
  }
  function counted(body) {
    const n = body.total.toLocaleString("en-US");
    if (!body.total_exact) { return n + "+ results"; }
    return body.total === 1 ? "1 result" : n + " results";
  }
  function show(q, body) {
    list.replaceChildren.apply(list, body.results.map(function (t) { return card(t, q); }));
    status.replaceChildren();
    if (body.did_you_mean) {
      const strong = document.createElement("strong");
      strong.textContent = body.did_you_mean;
      status.append("Showing results for ", strong,
                    ": " + counted(body) + " (nothing matched “" + q + "”)");
    } else {
      status.textContent = counted(body) + " for “" + q + "”";
    }
    if (more) {
      more.hidden = !body.next;
      more.firstElementChild.href = body.next
        ? "/search?q=" + encodeURIComponent(q) + "&page=" + body.next : "";
    }
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      list.replaceChildren(); status.textContent = "";
      if (more) { more.hidden = true; }
      return;
    }
    timer = setTimeout(function () {
      const mine = ++asked;
      fetch(input.dataset.live + "?limit=" + PAGE + "&q=" + encodeURIComponent(q))
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (mine !== asked) { return; }
          if (!answer.ok) { status.textContent = answer.body.error ? answer.body.error.message : "Search failed"; return; }
          show(q, answer.body);
        })
        .catch(function () { status.textContent = "Search is unavailable; try again."; });
    }, 150);
  });
})();
