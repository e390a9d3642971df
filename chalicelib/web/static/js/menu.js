// The navigation behind a "Menu" button on narrow screens (app.css shows the button only
// there, and only once this has run: without JavaScript the links stay listed).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var button = document.getElementById("menu-button");
  var list = document.getElementById("nav-list");
  if (!button || !list) {
    return;
  }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    list.classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      list.classList.remove("open");
      button.focus();
    }
  });
})();

// Forms marked data-confirm ask before they are sent (deleting a profile).
document.addEventListener("submit", function (event) {
  "use strict";
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
