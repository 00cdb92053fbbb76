// Fields that depend on one select (the alert rule's condition): <form data-depends-on="condition">
// shows a block marked data-shown-for="latency uptime" only while the select holds one of those
// values. The server keeps only the chosen condition's fields, so a hidden field keeps what was
// typed and is ignored.
(function () {
  "use strict";

  function follow(form) {
    var select = form.elements.namedItem(form.getAttribute("data-depends-on"));
    if (!select) {
      return;
    }
    var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-shown-for]"));
    var apply = function () {
      blocks.forEach(function (block) {
        block.hidden = block.getAttribute("data-shown-for").split(" ").indexOf(select.value) < 0;
      });
    };
    apply();
    select.addEventListener("change", apply);
  }

  var start = function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-depends-on]"), follow);
  };
  if (document.readyState !== "loading") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
