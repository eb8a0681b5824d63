// The header's menu. Served open, each group a <details>, it works without this script; with it, the
// menu folds behind its button on a phone, one group is open at a time, and Escape, a click elsewhere
// or the focus leaving a group closes it.
(function () {
  "use strict";
  var menu = document.getElementById("menu");
  if (!menu) return;
  var phone = window.matchMedia("(max-width: 760px)");
  var groups = Array.prototype.slice.call(menu.querySelectorAll("details.group"));

  function fit() { menu.open = !phone.matches; }
  function closeGroups(except) {
    groups.forEach(function (group) { if (group !== except) group.open = false; });
  }

  fit();
  if (phone.addEventListener) phone.addEventListener("change", fit);
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () { if (group.open) closeGroups(group); });
  });
  document.addEventListener("click", function (event) {
    if (menu.contains(event.target)) return;
    closeGroups(null);
    if (phone.matches) menu.open = false;
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = menu.querySelector("details.group[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    } else if (phone.matches && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  menu.addEventListener("focusout", function (event) {
    if (phone.matches || !event.relatedTarget) return;
    groups.forEach(function (group) {
      if (group.open && !group.contains(event.relatedTarget)) group.open = false;
    });
  });
})();
