// Progressive enhancements, nothing the pages need to work: marks cells changed
// since the last save, asks before leaving with unsaved changes, flags invalid
// cells from the messages htmx swaps in, and shows a banner when the server
// cannot be reached (typed values are never touched).
(function () {
  "use strict";

  function markChanged(input) {
    if (input.dataset && "saved" in input.dataset) {
      input.classList.toggle("changed", input.value !== input.dataset.saved);
    }
  }

  function refresh(root) {
    root.querySelectorAll("input[data-saved]").forEach(markChanged);
    root.querySelectorAll(".field-error[data-for]").forEach(function (message) {
      var input = document.getElementById(message.dataset.for);
      if (!input) return;
      if (message.textContent.trim()) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  }

  function banner(show) {
    var element = document.getElementById("error-banner");
    if (element) element.hidden = !show;
  }

  var leaving = false;
  document.addEventListener("input", function (event) { markChanged(event.target); });
  document.addEventListener("DOMContentLoaded", function () { refresh(document); });
  document.addEventListener("htmx:afterSettle", function () { refresh(document); });
  // A plain form post navigates away on purpose; htmx posts prevent the default.
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) leaving = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && document.querySelector("input.changed")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:responseError", function () { banner(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) banner(false);
  });
})();
