// The monitor form: show only the groups of fields the chosen kind uses.
// Each group names its kinds in data-kinds="tcp tls"; the server validates only the chosen
// kind's fields, so hidden fields keep what was typed and are simply ignored.
(function () {
  "use strict";

  function update(form, kind) {
    var groups = form.querySelectorAll("[data-kinds]");
    for (var i = 0; i < groups.length; i++) {
      var kinds = groups[i].getAttribute("data-kinds").split(" ");
      groups[i].hidden = kinds.indexOf(kind) === -1;
    }
  }

  function init() {
    var form = document.getElementById("monitor-form");
    if (!form) {
      return;
    }
    var select = form.querySelector("select[name=kind]");
    if (!select) {
      return;
    }
    update(form, select.value);
    select.addEventListener("change", function () {
      update(form, select.value);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
