// Small behaviours that pages ask for with data- attributes, so that no page needs a script or an
// event handler of its own (the Content-Security-Policy allows scripts from these files only):
//   data-confirm="question" on a form (asked before it is sent) or on a submit button (asked when
//     that button sends its form); cancelling keeps the page as it was;
//   data-print on a button prints the page;
//   data-check-all="name" on a checkbox ticks or clears every checkbox of that name in its form.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print], button[data-confirm]") : null;
    if (!target) return;
    if (target.hasAttribute("data-print")) {
      event.preventDefault();
      window.print();
    } else if (!window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A form's own question; a button with its own question was asked already.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (!form.hasAttribute("data-confirm") || (button && button.hasAttribute("data-confirm"))) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-check-all");
    if (!name) return;
    var scope = box.form || document;
    Array.prototype.forEach.call(scope.querySelectorAll('input[type="checkbox"]'), function (other) {
      if (other.name === name) other.checked = box.checked;
    });
  });
})();
