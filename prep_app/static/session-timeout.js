/* Idle-timeout warning for staff pages (WCAG 2.2.1, HIPAA automatic logoff).
 *
 * About a minute before the server would sign the person out for inactivity, a notice offers
 * "Stay signed in": a POST (with the page's CSRF token) that counts as activity. When the time
 * is up the page goes to the sign-in page, so patient information does not stay on screen.
 * Without JavaScript the notice stays hidden and the server's own timeout still applies.
 */
(function () {
  "use strict";
  var box = document.getElementById("session-timeout");
  if (!box || !window.fetch) { return; }
  var form = box.querySelector("form");
  var button = form.querySelector("button");
  var idleText = document.getElementById("session-timeout-idle");
  var absoluteText = document.getElementById("session-timeout-absolute");
  var idleMs = Number(box.getAttribute("data-idle-seconds")) * 1000;
  var warnMs = Number(box.getAttribute("data-warn-seconds")) * 1000;
  var absoluteAt = Date.now() + Number(box.getAttribute("data-absolute-seconds")) * 1000;
  var signInUrl = box.getAttribute("data-sign-in-url");
  var warnTimer = null;
  var endTimer = null;
  var lastFocus = null;

  function schedule(fromMs) {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    var now = Date.now();
    var deadline = Math.min(now + fromMs, absoluteAt);
    var isAbsolute = deadline === absoluteAt;
    warnTimer = window.setTimeout(function () { show(isAbsolute); },
                                  Math.max(0, deadline - warnMs - now));
    endTimer = window.setTimeout(signOut, Math.max(0, deadline - now));
  }

  function show(isAbsolute) {
    idleText.hidden = isAbsolute;
    absoluteText.hidden = !isAbsolute;
    form.hidden = isAbsolute;  // the absolute limit cannot be extended
    box.setAttribute("aria-describedby", isAbsolute ? absoluteText.id : idleText.id);
    lastFocus = document.activeElement;
    box.hidden = false;
    (isAbsolute ? box : button).focus();
  }

  function hide() {
    box.hidden = true;
    if (lastFocus && lastFocus.focus) { lastFocus.focus(); }
  }

  function signOut() {
    var here = window.location.pathname + window.location.search;
    window.location.assign(signInUrl + "&next=" + encodeURIComponent(here));
  }

  box.tabIndex = -1;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      button.disabled = false;
      if (response.status === 204) {
        hide();
        schedule(idleMs);
      } else {
        signOut();  // the session had already ended
      }
    }).catch(function () {
      button.disabled = false;  // offline for a moment: the person can try again
    });
  });

  // Inline actions (htmx) count as activity on the server; the board's polling does not.
  function isPolling(detail) {
    var config = detail.requestConfig || {};
    var headers = config.headers || {};
    var elt = detail.elt;
    return headers["HX-Trigger-Name"] === "auto-refresh" ||
      (elt && elt.getAttribute && elt.getAttribute("name") === "auto-refresh");
  }

  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful && !isPolling(event.detail)) {
      hide();
      schedule(idleMs);
    }
  });

  schedule(idleMs);
}());
