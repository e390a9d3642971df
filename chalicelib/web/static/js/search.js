// Results as you type: /api/search after a short pause, the newest answer wins.
"use strict";
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("results");
  const status = document.getElementById("search-status");
  if (!input || !list) { return; }
  let timer = null, asked = 0;
  function card(t) {
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
    a.append(img, name, meta); li.appendChild(a);
    return li;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { list.replaceChildren(); status.textContent = ""; return; }
    timer = setTimeout(function () {
      const mine = ++asked;
      fetch(input.dataset.live + "?limit=24&q=" + encodeURIComponent(q))
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (mine !== asked) { return; }
          if (!answer.ok) { status.textContent = answer.body.error ? answer.body.error.message : "Search failed"; return; }
          list.replaceChildren.apply(list, answer.body.results.map(card));
          status.textContent = answer.body.results.length + " results for “" + q + "”";
        })
        .catch(function () { status.textContent = "Search is unavailable; try again."; });
    }, 150);
  });
})();
