// Refreshes the live parts of the page every 10 s without losing the scroll
// position; without JavaScript the <noscript> meta refresh does the job.
(function () {
  // Marks the page as live-updating (also lets tests see the script ran under the CSP).
  document.documentElement.setAttribute("data-refresh", "on");
  var stale = document.getElementById("stale");
  function tick() {
    if (document.hidden) return;
    fetch(location.href, { cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh) el.replaceWith(document.adoptNode(fresh));
        });
        document.title = doc.title;
        if (window.asrLocalTimes) window.asrLocalTimes();
        stale.hidden = true;
      })
      .catch(function () {
        stale.hidden = false;
      });
  }
  setInterval(tick, 10000);
  document.addEventListener("visibilitychange", tick);
})();
