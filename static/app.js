// Small progressive enhancements; every page works without JavaScript.
// A form, or the button that sends it, marked data-confirm asks before sending. Irreversible
// actions do not rely on it: their server answers with a confirmation step first.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute && button.getAttribute("data-confirm")) ||
    (form.getAttribute && form.getAttribute("data-confirm"));
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The journal grid: arrows, Enter and Tab move between cells; a cell saves when left (htmx
// posts it on "change"). Works on any table with id="journal".
document.addEventListener("keydown", function (event) {
  var input = event.target;
  if (!input.closest || input.name !== "value") return;
  var cell = input.closest("td");
  var table = input.closest("table#journal");
  if (!table || !cell) return;
  var row = cell.parentElement;
  var dx = 0, dy = 0;
  if (event.key === "ArrowRight") dx = 1;
  else if (event.key === "ArrowLeft") dx = -1;
  else if (event.key === "ArrowDown" || event.key === "Enter") dy = 1;
  else if (event.key === "ArrowUp") dy = -1;
  else return;
  event.preventDefault();
  var col = Array.prototype.indexOf.call(row.children, cell);
  var target = null;
  if (dx !== 0) {
    var i = col + dx;
    while (!target && i >= 0 && i < row.children.length) {
      target = row.children[i].querySelector("input[name=value]");
      i += dx;
    }
  } else {
    var r = dy > 0 ? row.nextElementSibling : row.previousElementSibling;
    while (!target && r) {
      var c = r.children[col];
      target = c && c.querySelector("input[name=value]");
      r = dy > 0 ? r.nextElementSibling : r.previousElementSibling;
    }
  }
  if (target) {
    target.focus();
    target.select();
  }
});

// The journal grid saves a cell when it is left ("change"): what was typed (and a correction's
// reason, both inputs of the cell), the row's pupil, the column heading's lesson and mark column
// (a cell given back after a save names its column itself), and the text the cell was loaded
// with, for the server's lost-update check. The answer is the cell, swapped in for the old one.
// The ids live once a row and once a column, not in each of a quarter's thousand cells.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.closest || (input.name !== "value" && input.name !== "reason")) return;
  var table = input.closest("table#journal");
  var cell = input.closest("td");
  var save = table && table.getAttribute("data-save");
  if (!save || !cell || !window.htmx) return;
  var head = table.tHead.rows[0].cells[cell.cellIndex];
  var value = cell.querySelector("input[name=value]");
  var values = {
    lesson: head.getAttribute("data-l"),
    pupil: cell.parentElement.getAttribute("data-p"),
    was: value.hasAttribute("data-was") ? value.getAttribute("data-was") : value.defaultValue
  };
  var column = cell.getAttribute("data-c") || head.getAttribute("data-c");
  if (column) values.column = column;
  htmx.ajax("POST", save, { source: input, target: cell, swap: "outerHTML", values: values });
});
// No browser's suggestions of earlier entries over the grid's cells.
document.addEventListener("focusin", function (event) {
  var input = event.target;
  if (input.name === "value" && input.closest && input.closest("table#journal")) {
    input.setAttribute("autocomplete", "off");
  }
});

// The journal grid opens on today (issue 15): its scroller shows today's column (or the last
// lesson before today) just right of the sticky names, and the first pupil's cell there has the
// focus. «Сегодня» does the same; without JavaScript it is a plain link to #today.
(function () {
  var table = document.getElementById("journal");
  var today = table && document.getElementById("today");
  if (!today) return;
  var wrap = table.parentElement;
  function toToday() {
    var name = table.querySelector("thead th.name");
    var left = name ? name.offsetLeft + name.offsetWidth : 0;
    // A few earlier lessons stay in sight for context.
    wrap.scrollLeft = today.offsetLeft - left - (wrap.clientWidth - left) / 4;
    var col = today.cellIndex;
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    for (var i = 0; i < rows.length; i++) {
      var input = rows[i].cells[col] && rows[i].cells[col].querySelector("input[name=value]");
      if (input) {
        input.focus({ preventScroll: true });
        input.select();
        break;
      }
    }
  }
  // A form that came back with its errors keeps the reader there.
  if (!document.querySelector(".field-error")) toToday();
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.to-today");
    if (link && link.getAttribute("href") === "#today") {
      event.preventDefault();
      toToday();
    }
  });
})();

// The live diary: an open week listens to the server's events and fetches itself again when a
// teacher saves a mark, an absence or homework (regulations §4). Without JavaScript the page is
// as fresh as its last load.
(function () {
  var week = document.getElementById("diary-week");
  if (!week || !window.EventSource) return;
  var status = document.getElementById("diary-live");
  var timer = null;
  function refresh() {
    timer = null;
    fetch(week.getAttribute("data-refresh"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        week.innerHTML = html;
        if (status) status.textContent = "Дневник обновлён в " + new Date().toLocaleTimeString("ru-RU");
      })
      .catch(function () {});
  }
  var source = new EventSource(week.getAttribute("data-live"));
  // Marks the page as listening (the browser test waits for it).
  source.addEventListener("open", function () { week.setAttribute("data-connected", "1"); });
  source.addEventListener("changed", function () {
    // Many marks saved in a row make one refresh.
    if (!timer) timer = setTimeout(refresh, 400);
  });
})();

// «Печать» on the reports: the browser's print dialog (the A4 print stylesheet in app.css).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// A table that scrolls sideways inside itself (on a phone) can be scrolled with the keyboard:
// without a link or field inside, it takes the focus itself.
function focusableScrollers() {
  var found = document.querySelectorAll("main table, main .scroll, main .report-scroll, main .journal-wrap");
  Array.prototype.forEach.call(found, function (el) {
    var style = window.getComputedStyle(el);
    var scrolls = (style.overflowX === "auto" || style.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1;
    if (scrolls && !el.hasAttribute("tabindex") && !el.querySelector("a[href], input, select, textarea, button")) {
      el.setAttribute("tabindex", "0");
    }
  });
}
focusableScrollers();
window.addEventListener("resize", focusableScrollers);
document.addEventListener("htmx:afterSwap", focusableScrollers);
