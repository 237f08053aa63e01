// Front desk pages: htmx's CSRF header, the board's self-refresh, and the copy button.
// No inline scripts anywhere: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  var body = document.body;
  var meta = document.querySelector('meta[name="csrf-token"]');

  // htmx requests that change something carry the CSRF token in a header (Flask-WTF reads it).
  body.addEventListener("htmx:configRequest", function (event) {
    if (meta && event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });

  // Do not refresh the board under someone's keyboard focus: wait for the next tick.
  body.addEventListener("htmx:beforeRequest", function (event) {
    var live = document.getElementById("board-live");
    if (live && event.detail.elt === live && live.contains(document.activeElement)) {
      event.preventDefault();
    }
  });

  // A refresh answered by anything but the board (the sign-in page after a timeout): reload
  // the whole page, so the person sees that page instead of a board inside a board.
  body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status < 400 && !xhr.getResponseHeader("X-Board-Fragment")) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  // Buttons that only work with JavaScript stay hidden without it.
  document.querySelectorAll("[data-js-only]").forEach(function (element) {
    element.hidden = false;
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      var say = function (text) { if (status) { status.textContent = text; } };
      if (!source) { return; }
      source.focus();
      source.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(
          function () { say("Copied. Paste it into a text message or email."); },
          function () { say("Could not copy: the link is selected, press Ctrl+C (or Cmd+C)."); });
      } else {
        say("The link is selected: press Ctrl+C (or Cmd+C) to copy it.");
      }
    });
  });
})();
