/* A searchable picker for long selects of units.

   Any <select data-picker> with more than 15 options gets a text box under it: typing part of a
   name, with or without diacritics ("van phong tai chinh"), narrows the select to the options that
   contain every typed word (those with the words in the order typed first), shown as an open list
   to click or tap. Keys: ↓ from the box moves into the list, Enter picks the first match, Esc
   clears the search. Without JavaScript the plain select stays and the form works the same: the
   select is what is submitted. */
(function () {
  "use strict";

  var MIN_OPTIONS = 15;
  var LIST_ROWS = 8;
  var HINT = "Gõ vào ô trên một phần tên để tìm, không dấu cũng được.";

  // As dangbo/lib/vn.py fold(): lower case, no diacritics, đ as d (Unicode does not decompose it).
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/đ/g, "d");
  }

  function enhance(select, index) {
    if (select.multiple || select.options.length <= MIN_OPTIONS || select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    var all = Array.prototype.map.call(select.options, function (option) {
      return { option: option, folded: fold(option.textContent), always: option.value === "" };
    });
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.id = "picker-" + index;
    box.autocomplete = "off";
    // Named apart from the select, which keeps its own label: the box comes after the select, so a
    // <label> around both still names the select (the first control inside it).
    box.setAttribute("aria-label", "Tìm nhanh (gõ một phần tên, không dấu cũng được)");
    box.setAttribute("aria-controls", select.id || (select.id = "picker-select-" + index));
    var status = document.createElement("small");
    status.className = "picker-status muted";
    status.setAttribute("aria-live", "polite");
    var wrap = document.createElement("span");
    wrap.className = "picker";
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(select);
    wrap.appendChild(box);
    wrap.appendChild(status);
    status.textContent = HINT;

    // Options holding every typed word; those holding them in the order typed come first (so that
    // "van phong tai chinh" puts "Chi bộ Văn phòng — Đảng bộ Sở Tài chính" before "Chi bộ Phòng Kế
    // hoạch - Tài chính — … Sở Giao thông vận tải"), each group in the select's own order.
    function inOrder(text, words) {
      var at = 0;
      return words.every(function (word) {
        var found = text.indexOf(word, at);
        at = found + word.length;
        return found !== -1;
      });
    }

    function matches() {
      var words = fold(box.value).split(/\s+/).filter(Boolean);
      var first = [], then = [];
      all.forEach(function (item) {
        if (item.always || inOrder(item.folded, words)) first.push(item);
        else if (words.every(function (word) { return item.folded.indexOf(word) !== -1; })) then.push(item);
      });
      return first.concat(then);
    }

    function show() {
      var chosen = select.value;
      var shown = box.value.trim() ? matches() : all;
      while (select.options.length) select.remove(0);
      shown.forEach(function (item) { select.add(item.option); });
      if (shown.some(function (item) { return item.option.value === chosen; })) select.value = chosen;
      var found = shown.filter(function (item) { return !item.always; }).length;
      if (box.value.trim()) {
        select.size = Math.max(2, Math.min(LIST_ROWS, shown.length));
        select.classList.add("picker-open");
        status.textContent = found ? found + " kết quả" : "Không có kết quả phù hợp";
      } else {
        select.removeAttribute("size");
        select.classList.remove("picker-open");
        status.textContent = HINT;
      }
    }

    function pickFirst() {
      var first = matches().filter(function (item) { return !item.always; })[0];
      if (first) {
        select.value = first.option.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return first;
    }

    box.addEventListener("input", show);
    box.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && box.value.trim()) {
        event.preventDefault();
        if (select.selectedIndex < 0 || select.options[select.selectedIndex].value === "") pickFirst();
        select.focus();
      } else if (event.key === "Enter") {
        event.preventDefault(); // pick, do not send the form yet
        if (box.value.trim() && pickFirst()) closeOnPick();
      } else if (event.key === "Escape" && box.value) {
        event.preventDefault();
        box.value = "";
        show();
      }
    });

    // After a pick the list closes to a plain select showing the choice, and the search box empties.
    function closeOnPick() {
      var chosen = select.value;
      box.value = "";
      show();
      select.value = chosen;
      status.textContent = select.selectedIndex >= 0 ? "Đã chọn: " + select.options[select.selectedIndex].textContent : "";
      select.focus();
    }

    select.addEventListener("click", function (event) {
      if (select.classList.contains("picker-open") && select.selectedIndex >= 0) closeOnPick();
    });
    select.addEventListener("keydown", function (event) {
      if (!select.classList.contains("picker-open")) return;
      if (event.key === "Enter") {
        event.preventDefault();
        closeOnPick();
      } else if (event.key === "Escape") {
        event.preventDefault();
        box.focus();
      }
    });
  }

  function init() {
    document.querySelectorAll("select[data-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
