// Live filtering of the model table; the search form works without it.
(function () {
  "use strict";
  var search = document.getElementById("q");
  var freeOnly = document.getElementById("free-only");
  var count = document.getElementById("model-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll(".model-table tbody tr[data-search]"));
  if (!search || !rows.length) return;

  function apply() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = (!freeOnly.checked || row.getAttribute("data-free") === "1") &&
        words.every(function (word) { return text.indexOf(word) !== -1; });
      var checked = row.querySelector("input[type=radio]").checked;
      row.hidden = !(match || checked);
      if (!row.hidden) shown += 1;
    });
    if (count) count.textContent = shown + " of " + rows.length + " models shown. Prices are US dollars per million tokens.";
  }
  search.addEventListener("input", apply);
  freeOnly.addEventListener("change", apply);
})();
