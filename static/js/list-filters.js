// Phones fold a list page's filters, so the rows come first: on arrival when no filter is
// applied, and after each search that had no errors. Without JavaScript they stay open.
// Loaded, not deferred, right after the filter form: it needs the form, and folds it early.
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 767.98px)");
  function fold() {
    var panel = document.querySelector("#list-filters details[data-phone-collapsed]");
    if (!panel) return;
    panel.removeAttribute("data-phone-collapsed"); // once: the user may open it again
    if (phone.matches) panel.open = false;
  }
  fold();
  document.body.addEventListener("htmx:afterSettle", fold);
})();
