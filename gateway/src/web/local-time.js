// Shows every <time> of the page in the browser's own time zone (the server
// writes UTC, which stays as the title and the no-JavaScript fallback).
(function () {
  var lang = document.documentElement.lang || "en";
  var withTime = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  var dateOnly = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });
  function localise(root) {
    (root || document).querySelectorAll("time[datetime][data-fmt]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      el.textContent = (el.getAttribute("data-fmt") === "d" ? dateOnly : withTime).format(at);
    });
    var note = document.getElementById("tz-note");
    if (note) {
      note.hidden = false;
      var zone = document.getElementById("tz-name");
      if (zone) zone.textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
  }
  // The refresh script calls this after swapping the live parts in.
  window.asrLocalTimes = localise;
  document.documentElement.setAttribute("data-local-time", "on");
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { localise(); });
  } else {
    localise();
  }
})();
