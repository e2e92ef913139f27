// Progressive enhancement for the chat page; the plain form works without it.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) return;
  var box = document.getElementById("message");
  var counter = document.getElementById("counter");
  var max = parseInt(box.getAttribute("data-max-length"), 10) || 0;

  function updateCounter() {
    if (!counter || !max) return;
    var used = box.value.length;
    counter.textContent = used.toLocaleString() + " / " + max.toLocaleString();
    counter.classList.toggle("over", used > max);
  }
  box.addEventListener("input", updateCounter);
  updateCounter();

  var messages = document.getElementById("messages");
  if (messages) {
    var last = messages.lastElementChild;
    if (last) last.scrollIntoView({ block: "end" });
  }

  // Block a second submit while the first is in flight.
  form.addEventListener("submit", function (event) {
    if (form.dataset.sending === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = "Sending…";
    }
  });
})();
