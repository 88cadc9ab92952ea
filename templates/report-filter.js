(function () {
  "use strict";
  var table = document.getElementById("findings");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.finding"));
  var controls = {
    system: document.getElementById("f-system"),
    severity: document.getElementById("f-severity"),
    verdict: document.getElementById("f-verdict"),
    text: document.getElementById("f-text")
  };
  var shown = document.getElementById("f-shown");
  function apply() {
    var want = {
      system: controls.system.value,
      severity: controls.severity.value,
      verdict: controls.verdict.value
    };
    var needle = controls.text.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = (!want.system || row.dataset.system === want.system) &&
               (!want.severity || row.dataset.severity === want.severity) &&
               (!want.verdict || row.dataset.verdict === want.verdict) &&
               (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  ["system", "severity", "verdict"].forEach(function (k) { controls[k].addEventListener("change", apply); });
  controls.text.addEventListener("input", apply);
  document.getElementById("filters").hidden = false;
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  apply();
}());
