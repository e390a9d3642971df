// Remembers when a link to the player was clicked (sessionStorage), so the player can report
// the video start time from the click itself, not from when its own page began.
"use strict";
(function () {
  document.addEventListener("click", function (event) {
    const link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    let url;
    try { url = new URL(link.href, location.href); } catch (e) { return; }
    if (url.origin !== location.origin || url.pathname.indexOf("/watch/") !== 0) { return; }
    try {
      sessionStorage.setItem("notflix.playClick", JSON.stringify(
        { at: performance.timeOrigin + performance.now(), path: url.pathname }));
    } catch (e) { /* storage refused: the player counts from its page's start */ }
  }, true);
})();
