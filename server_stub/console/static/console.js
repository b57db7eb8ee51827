/* The console's only script: refresh the element marked data-live from its URL, and ask
   before a form marked data-confirm is sent. Without JavaScript the live page refreshes
   itself (<noscript> meta refresh) and forms are sent without asking. */
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f && f.getAttribute && f.getAttribute("data-confirm") &&
        !window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  var live = document.querySelector("[data-live]");
  if (!live) { return; }
  var url = live.getAttribute("data-live");
  var every = parseInt(live.getAttribute("data-interval"), 10) || 2000;
  var last = null;
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "follow" })
      .then(function (r) {
        if (r.redirected || !r.ok) { window.location.reload(); return null; }
        return r.text();
      })
      .then(function (html) {
        if (html !== null && html !== last) { live.innerHTML = html; last = html; }
        live.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () { live.setAttribute("data-stale", "1"); })
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
}());
