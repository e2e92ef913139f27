// The share link just made (templates/share/made.html): the read-only field selects its
// whole address when focused, and the Copy button (hidden without this script) copies it.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
    // A click places the caret after focus; select again so one tap selects all.
    field.addEventListener("click", function () { field.select(); });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("share-copy-status");
    if (!field) return;
    button.hidden = false;
    function say(text) { if (status) status.textContent = text; }
    function fallback() {
      field.focus();
      field.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      say(done ? "Copied." : "Selected: copy it with your device's Copy.");
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { say("Copied."); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
