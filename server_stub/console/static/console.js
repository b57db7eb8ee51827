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
  var every = parseInt(live.getAttribute("data-interval"), 10) || 1000;
  var last = null;
  /* the server answers 304 while nothing on the page changed; the page came with its tag */
  var etag = live.getAttribute("data-etag") || null;
  /* lists the viewer opened or folded ("site/kind" -> open), kept across updates */
  var folds = {};
  function where(d) {
    var col = d.closest("[data-kind]"), site = d.closest("[data-site]");
    return col && site ? site.getAttribute("data-site") + "/" + col.getAttribute("data-kind") : null;
  }
  live.addEventListener("click", function (ev) {  /* a person's tap, not a new fragment's */
    var s = ev.target && ev.target.closest ? ev.target.closest("summary") : null;
    var d = s ? s.parentElement : null;
    var k = d && d.tagName === "DETAILS" ? where(d) : null;
    if (k) { folds[k] = !d.open; }  /* the click's default action opens or folds it next */
  });
  function refold() {
    live.querySelectorAll("[data-kind] > details").forEach(function (d) {
      var k = where(d);
      if (k && Object.prototype.hasOwnProperty.call(folds, k)) { d.open = folds[k]; }
    });
  }
  function tick() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "follow",
                 headers: headers })
      .then(function (r) {
        if (r.status === 304) { return null; }
        if (r.redirected || !r.ok) { window.location.reload(); return null; }
        etag = r.headers.get("ETag");
        return r.text();
      })
      .then(function (html) {
        if (html !== null && html !== last) { live.innerHTML = html; last = html; refold(); }
        live.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () { live.setAttribute("data-stale", "1"); })
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
}());
