// Text areas that grow as one types, for browsers without CSS `field-sizing: content`
// (writing.css). Without JavaScript they keep their rows and can be resized by hand.
(function () {
  "use strict";
  if (window.CSS && CSS.supports && CSS.supports("field-sizing", "content")) return;
  function fit(area) {
    var style = window.getComputedStyle(area);
    var borders = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
    area.style.height = "auto";
    area.style.height = area.scrollHeight + borders + "px";
  }
  function start() {
    var areas = document.querySelectorAll("textarea.grow");
    for (var i = 0; i < areas.length; i++) {
      fit(areas[i]);
      areas[i].addEventListener("input", function (event) { fit(event.target); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
