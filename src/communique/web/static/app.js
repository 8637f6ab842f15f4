// communique dashboard: small conveniences only; every page works without this script.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // Country codes are capitals: type "usa", get "USA".
  document.querySelectorAll("input[pattern^='[A-Za-z]']").forEach(function (input) {
    input.addEventListener("input", function () {
      input.value = input.value.toUpperCase();
    });
  });

  // Bring the event's sentence into view in a long article.
  var marked = document.querySelector("mark.event-sentence");
  if (marked && marked.scrollIntoView) {
    marked.scrollIntoView({ block: "center" });
  }

  // Empty filter fields stay out of the URL, so shared links stay short.
  document.querySelectorAll("form.filters").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        if (!field.value) {
          field.disabled = true;
        }
      });
    });
  });
});
