// Small JSON forms: password change, roles, starting an import. Errors show the API's message.
"use strict";
(function () {
  function submitJson(form, method, body, status, done) {
    fetch(form.dataset.endpoint, { method: method, credentials: "same-origin",
                                   headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (answer) {
        status.textContent = answer.ok ? done : (answer.body.error ? answer.body.error.message : "That did not work.");
      }).catch(function () { status.textContent = "The service is unavailable; try again."; });
  }
  const password = document.getElementById("password-form");
  if (password) {
    password.addEventListener("submit", function (e) {
      e.preventDefault();
      submitJson(password, "POST", { current_password: password.current_password.value, new_password: password.new_password.value },
                 document.getElementById("password-status"), "Your password is changed.");
    });
  }
  const profile = document.getElementById("profile-form");
  if (profile) {
    profile.addEventListener("submit", function (e) {
      e.preventDefault();
      submitJson(profile, "PATCH", { display_name: profile.display_name.value },
                 document.getElementById("profile-status"), "Saved.");
    });
  }
  document.querySelectorAll("form.roles").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const roles = Array.prototype.filter.call(form.querySelectorAll("input[name=roles]"), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
      submitJson(form, "PUT", { roles: roles }, form.querySelector(".status"), "Saved.");
    });
  });
  const imports = document.getElementById("import-form");
  if (imports) {
    imports.addEventListener("submit", function (e) {
      e.preventDefault();
      submitJson(imports, "POST", { kinds: ["movie", "tv"] }, document.getElementById("import-status"), "Started: reload to follow it.");
    });
  }
})();
