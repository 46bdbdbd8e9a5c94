// Progressive enhancements, nothing the pages need to work: marks cells changed
// since the last save, asks before leaving with unsaved changes, flags invalid
// cells from the messages htmx swaps in, and shows a banner when the server
// cannot be reached (typed values are never touched). On the goal grid it adds
// spreadsheet keys, pasting a block copied from Excel or Google Sheets, and
// 元に戻す for the last bulk action; the bulk actions themselves (全月に適用,
// 前年をコピー, 年間の配分) are the server's, and work without this file.
(function () {
  "use strict";

  function markChanged(input) {
    if (input.dataset && "saved" in input.dataset) {
      input.classList.toggle("changed", input.value !== input.dataset.saved);
    }
  }

  function refresh(root) {
    root.querySelectorAll("input[data-saved]").forEach(markChanged);
    root.querySelectorAll(".field-error[data-for]").forEach(function (message) {
      var input = document.getElementById(message.dataset.for);
      if (!input) return;
      if (message.textContent.trim()) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
    root.querySelectorAll("[data-js-only]").forEach(function (element) {
      element.hidden = false;
    });
    showWeights();
  }

  // 年間の数値から配分: the 12 比率 inputs matter only for 比率を指定; with
  // another choice they are hidden (without this file they are always shown).
  // Each set names its choice (data-spread-weights): the grid's spread_by, a
  // channel's spread_by_<id> on the channel plan.
  function showWeights() {
    document.querySelectorAll("[data-spread-weights]").forEach(function (weights) {
      var chosen = document.querySelector(
        'input[name="' + weights.dataset.spreadWeights + '"]:checked');
      weights.hidden = !chosen || chosen.value !== "weights";
    });
  }
  document.addEventListener("change", function (event) {
    if (/^spread_by(_\d+)?$/.test(event.target.name || "")) showWeights();
  });

  // After a refused save the caret goes to the first field with an error
  // (the page's order), so the user can correct it at once. The server marks
  // it with autofocus too, for the page rendered without htmx.
  var savingForms = {}; // form id -> true while a 保存 / 上書き保存 is posted
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.id) return;
    var action = event.submitter ? event.submitter.value : "save";
    savingForms[form.id] = action === "save" || action === "overwrite";
  }, true);
  document.addEventListener("htmx:afterSwap", function (event) {
    var config = event.detail.requestConfig;
    var id = config && config.elt && config.elt.id;
    if (!id || !savingForms[id]) return;
    delete savingForms[id];
    var form = document.getElementById(id);
    var first = form && form.querySelector(
      'input[aria-invalid="true"]:not([type=hidden]):not([disabled])');
    if (first) {
      first.focus();
      first.select();
    }
  });

  function banner(show) {
    var element = document.getElementById("error-banner");
    if (element) element.hidden = !show;
  }

  var leaving = false;
  document.addEventListener("input", function (event) { markChanged(event.target); });
  document.addEventListener("DOMContentLoaded", function () {
    refresh(document);
    gridSwapped();
  });
  // The undo is armed as soon as the new form is in the page (afterSwap): the
  // values and the focus are already there, and a Ctrl+Z may come before
  // htmx settles. gridSwapped() acts once per form, so settling again is a no-op.
  document.addEventListener("htmx:afterSwap", gridSwapped);
  document.addEventListener("htmx:afterSettle", function () {
    refresh(document);
    gridSwapped();
  });
  // A plain form post navigates away on purpose; htmx posts prevent the default.
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) leaving = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && document.querySelector("input.changed")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:responseError", function () { banner(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) banner(false);
  });

  // The worksheet's 案件化率 is not used with ③ skipped (③を省略): hidden
  // with its label, hint and warning, as the server renders it, while the
  // box is ticked. A hidden input is still sent, so its value is kept; one
  // with a message stays in sight to be corrected.
  function showOpportunityRate() {
    var field = document.getElementById("opportunity-rate-field");
    var skip = document.getElementById("id_skip_opportunity");
    if (!field || !skip) return;
    var note = document.getElementById("opportunity-rate-skipped");
    var message = document.getElementById("id_opportunity_rate-error");
    var refused = Boolean(message && message.textContent.trim());
    field.hidden = skip.checked && !refused;
    if (note) note.hidden = !skip.checked;
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "skip_opportunity") showOpportunityRate();
  });
  // After a recompute a message may have come or gone.
  document.addEventListener("htmx:afterSettle", showOpportunityRate);
  document.addEventListener("DOMContentLoaded", showOpportunityRate);

  // ---- Forms that replace themselves -----------------------------------------
  //
  // The grid, the worksheet and the actuals post themselves with htmx and are
  // replaced by the answer (hx-target="this", hx-swap="outerHTML"). A button
  // pressed while such a form is being posted (保存 with Ctrl+S just after
  // 前年をコピー, 保存 just after ＋チャネルを追加) would be queued by htmx on
  // this form, which the answer replaces, and dropped unsent. It is held
  // instead, and pressed again in the form the answer brings. A button inside
  // a table row (the worksheet's ↑ ↓ 削除) acts on a row by its place, which
  // the answer may have changed: it is not pressed again.
  var postingForms = {}; // form id -> the request posting it
  var heldButtons = {};  // form id -> the value of the button pressed meanwhile

  function replacesItself(form) {
    return Boolean(form && form.id && form.getAttribute("hx-target") === "this" &&
      form.getAttribute("hx-swap") === "outerHTML");
  }

  // On the window, in the capture phase: ahead of htmx and of the page's own
  // submit handlers, which see only a press that is sent.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!replacesItself(form) || !postingForms[form.id]) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var button = event.submitter;
    heldButtons[form.id] = button && !button.closest("tr") ? button.value : null;
  }, true);
  // beforeSend, not beforeRequest: a request another handler cancels is never
  // sent, and would hold every later press.
  document.addEventListener("htmx:beforeSend", function (event) {
    var form = event.detail.elt;
    if (replacesItself(form)) postingForms[form.id] = event.detail.xhr;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!replacesItself(form) || postingForms[form.id] !== event.detail.xhr) return;
    var id = form.id;
    var value = heldButtons[id];
    delete postingForms[id];
    delete heldButtons[id];
    var current = document.getElementById(id);
    if (!value || !current) return;
    var again = Array.prototype.find.call(
      current.querySelectorAll('button[type="submit"]'),
      function (button) { return button.value === value; });
    // Clicked, not requestSubmit(): htmx sends the button's name and value
    // only for a button it saw clicked.
    if (again) again.click();
  });

  // ---- The goal grid as a spreadsheet ---------------------------------------
  //
  // A [data-sheet] tbody is a sheet: its rows are months, the text inputs of a
  // row its columns (the grid: CV数, CV率; the spread's weights: one column).
  // Keys in a cell, as Excel and Google Sheets users expect:
  //   Enter / Shift+Enter  the same column of the next / previous month (on the
  //                        last / first month the cell stays; Enter never submits)
  //   ↑ / ↓                the previous / next month, unless the caret is inside
  //                        the number being edited (collapsed strictly between
  //                        two characters, or part of the text selected): then
  //                        the browser moves the caret to the start / end, and
  //                        the next press moves. An empty or wholly selected
  //                        value, or a caret at either end, moves at once.
  //   ← / →                the other column of the same month, when the value is
  //                        empty, wholly selected, or the caret is at that end
  //   Tab / Shift+Tab      the browser's: CV数, CV率, the next month's CV数 …
  //   Esc                  back to the value the cell had when it was entered
  //   Ctrl+S (⌘S)          保存
  //   Ctrl+Z (⌘Z)          元に戻す of the last bulk action, as long as nothing
  //                        was typed since; otherwise the browser's own undo
  // A cell reached by these keys has its whole value selected, so typing
  // replaces it. Keys during IME composition (Japanese input) are left alone.
  //
  // Pasting text copied from a sheet (rows by newline, columns by tab) into a
  // cell fills that month and the ones below, and the next column for a second
  // column; what does not fit is dropped. The text goes into the inputs as it
  // is: the server's recompute parses and checks it like typed text. Nothing is
  // saved until 保存.

  var BULK_ACTIONS = ["fill_all", "copy_previous", "spread"];
  var undoValues = null;   // every text input of the grid form before the last bulk action
  var pendingValues = null; // taken when a bulk button submits, kept if the server applied it
  var typedSinceBulk = false;
  var recomputeWaiting = false; // a recompute held back while the form was posted
  var gridForm = null;     // the form element last seen, to notice a swap
  var lastCellId = null;   // the grid cell last entered, to return to after 元に戻す
  var enteredValue = "";   // the focused cell's value when it was entered (Esc)

  function textInputs(root) {
    return Array.prototype.slice.call(root.querySelectorAll("input[type=text]"));
  }

  function position(input) {
    var sheet = input && input.closest && input.closest("[data-sheet]");
    if (!sheet || input.type !== "text") return null;
    var rows = Array.prototype.filter.call(sheet.rows, function (row) {
      return textInputs(row).length > 0;
    });
    var row = input.closest("tr");
    return { rows: rows, row: rows.indexOf(row), col: textInputs(row).indexOf(input) };
  }

  function cellAt(pos, row, col) {
    if (row < 0 || row >= pos.rows.length || col < 0) return null;
    return textInputs(pos.rows[row])[col] || null;
  }

  function enter(cell) {
    cell.focus();
    cell.select();
  }

  function wholeOrEmpty(input) {
    var length = input.value.length;
    return length === 0 || (input.selectionStart === 0 && input.selectionEnd === length);
  }

  function caretAtStart(input) {
    return input.selectionStart === input.selectionEnd && input.selectionStart === 0;
  }

  function caretAtEnd(input) {
    return input.selectionStart === input.selectionEnd &&
      input.selectionEnd === input.value.length;
  }

  function notify(input) {
    // Tells htmx (the recompute) and the changed marks, as typing would.
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function say(text) {
    var status = document.getElementById("sheet-status");
    if (status) status.textContent = text || "";
  }

  function snapshot(form) {
    var values = {};
    textInputs(form).forEach(function (input) {
      if (input.name) values[input.name] = input.value;
    });
    // Whether a bulk tool had filled the grid (its 保存 is then 一括入力).
    if (form.querySelector("#bulk-mark")) values.bulk = "1";
    return values;
  }

  function showUndo() {
    var button = document.getElementById("bulk-undo");
    if (button) button.hidden = !undoValues;
  }

  function offerUndo(values) {
    undoValues = values;
    typedSinceBulk = false;
    showUndo();
  }

  function undo() {
    var form = document.getElementById("grid-form");
    var button = document.getElementById("bulk-undo");
    if (!form || !undoValues) return;
    var values = undoValues;
    undoValues = null;
    Object.keys(values).forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (input && input.type === "text" && input.value !== values[name]) {
        input.value = values[name];
        notify(input);
      }
    });
    // Back to before the first bulk tool: a 保存 now is typing, not 一括入力.
    var mark = form.querySelector("#bulk-mark");
    if (mark && !values.bulk) mark.remove();
    // The message of the undone action no longer describes the inputs.
    form.querySelectorAll(".messages").forEach(function (list) { list.remove(); });
    // The button hides: its focus goes back to the cell last entered.
    if (document.activeElement === button || !form.contains(document.activeElement)) {
      var cell = (lastCellId && document.getElementById(lastCellId)) ||
        form.querySelector("[data-sheet] input[type=text]");
      if (cell) enter(cell);
    }
    if (position(document.activeElement)) enteredValue = document.activeElement.value;
    showUndo();
    say(button ? button.dataset.done : "");
  }

  function parseTable(text) {
    text = text.replace(/\r\n?/g, "\n");
    // Excel ends a copied block with a line break; one is not an empty row.
    if (text.slice(-1) === "\n") text = text.slice(0, -1);
    return text.split("\n").map(function (line) {
      return line.split("\t").map(function (value) {
        // A sheet quotes a cell holding quotes; numbers seldom are.
        if (value.length > 1 && value[0] === '"' && value[value.length - 1] === '"') {
          return value.slice(1, -1).replace(/""/g, '"');
        }
        return value;
      });
    });
  }

  document.addEventListener("paste", function (event) {
    var input = event.target;
    var pos = position(input);
    if (!pos || pos.row < 0 || pos.col < 0 || !event.clipboardData) return;
    var table = parseTable(event.clipboardData.getData("text/plain"));
    // One value: the browser pastes it where the caret is.
    if (table.length === 1 && table[0].length === 1) return;
    event.preventDefault();
    var before = snapshot(input.form);
    var changed = [];
    var clipped = false;
    table.forEach(function (values, i) {
      values.forEach(function (value, j) {
        var cell = cellAt(pos, pos.row + i, pos.col + j);
        if (!cell) {
          if (value !== "") clipped = true;
          return;
        }
        if (cell.value !== value) {
          cell.value = value;
          changed.push(cell);
        }
      });
    });
    offerUndo(before);
    changed.forEach(function (cell) { notify(cell); });
    input.select();
    enteredValue = input.value;
    var status = document.getElementById("sheet-status");
    if (status) {
      var rows = Math.min(table.length, pos.rows.length - pos.row);
      say(status.dataset.pasted.replace("%(rows)s", rows) +
        (clipped ? " " + status.dataset.clipped : ""));
    }
  });

  document.addEventListener("focusin", function (event) {
    var pos = position(event.target);
    if (!pos) return;
    enteredValue = event.target.value;
    if (event.target.closest("#grid-body")) {
      lastCellId = event.target.id;
      // 全月に適用 applies the month the user was last in.
      var select = event.target.form && event.target.form.elements.namedItem("fill_from");
      var month = event.target.closest("tr").dataset.month;
      if (select && month) select.value = month;
    }
  });

  document.addEventListener("input", function (event) {
    if (event.isTrusted && event.target.closest && event.target.closest("#grid-form")) {
      typedSinceBulk = true;
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("#bulk-undo")) undo();
  });

  document.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) return;
    var form = document.getElementById("grid-form");
    var key = (event.key || "").toLowerCase();
    var command = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
    if (form && command && key === "s") {
      var save = document.getElementById("grid-save");
      if (save) {
        event.preventDefault();
        save.click();
      }
      return;
    }
    if (form && command && key === "z" && undoValues &&
        !typedSinceBulk && form.contains(event.target)) {
      event.preventDefault();
      undo();
      return;
    }
    var input = event.target;
    if (input.dataset && input.dataset.enter) {
      // Enter in a 配分's fields spreads, as the button next to them (named
      // by the field's data-enter), not 保存, the form's first button.
      var pressed = document.getElementById(input.dataset.enter);
      if (pressed && event.key === "Enter" && !event.shiftKey && !command) {
        event.preventDefault();
        pressed.click();
      }
      return;
    }
    var pos = position(input);
    if (!pos || pos.row < 0 || pos.col < 0) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = null;
    switch (event.key) {
      case "Enter":
        event.preventDefault();
        target = cellAt(pos, pos.row + (event.shiftKey ? -1 : 1), pos.col) || input;
        break;
      case "ArrowUp":
      case "ArrowDown":
        if (event.shiftKey) return;
        if (wholeOrEmpty(input) || caretAtStart(input) || caretAtEnd(input)) {
          target = cellAt(pos, pos.row + (event.key === "ArrowUp" ? -1 : 1), pos.col);
        }
        break;
      case "ArrowLeft":
        if (!event.shiftKey && (wholeOrEmpty(input) || caretAtStart(input))) {
          target = cellAt(pos, pos.row, pos.col - 1);
        }
        break;
      case "ArrowRight":
        if (!event.shiftKey && (wholeOrEmpty(input) || caretAtEnd(input))) {
          target = cellAt(pos, pos.row, pos.col + 1);
        }
        break;
      case "Escape":
        if (input.value !== enteredValue) {
          event.preventDefault();
          input.value = enteredValue;
          notify(input);
        }
        input.select();
        return;
      default:
        return;
    }
    if (target) {
      event.preventDefault();
      enter(target);
    }
  });

  // A bulk button remembers the inputs before the server answers; the answer
  // says (data-bulk) whether it changed them. (A button pressed while the
  // form is being posted never gets here: it is held, see the forms that
  // replace themselves above.)
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "grid-form") return;
    var action = event.submitter ? event.submitter.value : "save";
    // The channel plan's tools name their channel: "fill_all:12".
    pendingValues = BULK_ACTIONS.indexOf(action.split(":")[0]) >= 0 ?
      snapshot(event.target) : null;
  }, true);

  // While the form is being posted, no recompute: its answer, computed from
  // the inputs before the post, would overwrite the figures of the new form.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.id === "grid-form") {
      var body = document.getElementById("grid-body");
      if (body && window.htmx) window.htmx.trigger(body, "htmx:abort");
    } else if (elt.id === "grid-body" && postingForms["grid-form"]) {
      event.preventDefault();
      // Typed while the post was answered: recompute once it has been.
      recomputeWaiting = true;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    // The forms' handler above has run: a held button may already have
    // posted the new form, whose answer brings the figures.
    var config = event.detail.requestConfig;
    if (!(config && config.elt && config.elt.id === "grid-form")) return;
    if (recomputeWaiting && !postingForms["grid-form"]) {
      recomputeWaiting = false;
      var body = document.getElementById("grid-body");
      if (body && window.htmx) window.htmx.trigger(body, "input");
    }
  });

  function gridSwapped() {
    var form = document.getElementById("grid-form");
    if (!form || form === gridForm) return;
    var first = gridForm === null;
    gridForm = form;
    if (first) return;
    if (form.dataset.bulk && pendingValues) offerUndo(pendingValues);
    else if (form.dataset.state === "stored") undoValues = null; // saved
    pendingValues = null;
    showUndo();
  }

  // A worksheet row's チャネル: picking one posts the sheet (hx-post on the
  // select), which comes back with the channel's name and Web flag. Its
  // input event must not also start the live recompute, which would read
  // the row's former name and flag.
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("select[data-pick-channel]")) {
      event.stopPropagation();
    }
  }, true);
  // Nor may a recompute typed just before (its answer, from the former row,
  // would land on the new sheet): the pick aborts it, and none starts
  // until the sheet is back.
  var pickingChannel = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.matches && elt.matches("select[data-pick-channel]")) {
      pickingChannel = true;
      var live = elt.closest("[hx-get]");
      if (live && window.htmx) window.htmx.trigger(live, "htmx:abort");
    } else if (pickingChannel && elt.matches && elt.matches("#worksheet-form [hx-get]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.elt && config.elt.matches &&
        config.elt.matches("select[data-pick-channel]")) {
      pickingChannel = false;
    }
  });
})();
