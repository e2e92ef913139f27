// Every page: the theme switch, and times in the visitor's own time zone.
// Without JavaScript the browser's colour preference rules and times read in UTC.
(function () {
  "use strict";
  var root = document.documentElement;

  // ------------------------------------------------------------ theme
  // static/js/theme.js applies the saved choice before the first paint; this changes it.
  function savedTheme() {
    try {
      var value = window.localStorage.getItem("theme");
      return value === "light" || value === "dark" ? value : "system";
    } catch (error) {
      return "system";
    }
  }

  function applyTheme(choice) {
    if (choice === "light" || choice === "dark") root.setAttribute("data-theme", choice);
    else root.removeAttribute("data-theme");
    try {
      if (choice === "system") window.localStorage.removeItem("theme");
      else window.localStorage.setItem("theme", choice);
    } catch (error) {
      // Storage refused (private mode): the choice lasts for this page only.
    }
  }

  var switcher = document.getElementById("theme-switch");
  var select = document.getElementById("theme");
  if (switcher && select) {
    select.value = savedTheme();
    select.addEventListener("change", function () {
      applyTheme(select.value);
    });
    switcher.hidden = false;
  }

  // ------------------------------------------------------------ local times
  // <time datetime="...Z"> comes in UTC from the server; show it in local time, with
  // the date where it is not today (and the year where it is not this year).
  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() &&
      a.getDate() === b.getDate();
  }

  function localLabel(when, now) {
    var time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (sameDay(when, now)) return time;
    var date = { month: "short", day: "numeric" };
    if (when.getFullYear() !== now.getFullYear()) date.year = "numeric";
    return when.toLocaleDateString([], date) + ", " + time;
  }

  function localizeTimes(scope) {
    var now = new Date();
    (scope || document).querySelectorAll("time.local-time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.textContent = localLabel(when, now);
      el.title = when.toLocaleString([], { dateStyle: "full", timeStyle: "short" });
      el.classList.add("localized");
    });
  }
  localizeTimes(document);

  // ------------------------------------------------------------ shared by the page scripts
  // Screen readers hear it: politely, or at once when urgent (the regions are in the page).
  function announce(text, urgent) {
    var region = document.getElementById(urgent ? "announce-assertive" : "announce-polite");
    if (!region) return;
    region.textContent = "";
    // A new text node after a tick, so the same words twice are still read.
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  // A fresh form token (after the old one expired) for every form and fetch on the page.
  function renewToken(token) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) meta.content = token;
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = token;
    });
  }

  window.AutoChat = { localizeTimes: localizeTimes, announce: announce, renewToken: renewToken };
})();
