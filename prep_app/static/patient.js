// Progressive enhancement for the patient's checklist. Without JavaScript every question shows
// and the server decides what applies; with it, a follow-up question ("What time will they
// come back?") is hidden until the answer it depends on is chosen, and the calm note under an
// answer the team will look at ("A nurse will look at this...") appears as soon as it is given.
(function () {
  "use strict";

  function wrapperOf(input) {
    return input.closest(".field") || input;
  }

  function chosenValue(form, name) {
    var checked = form.querySelector('input[name="' + CSS.escape(name) + '"]:checked');
    if (!checked) { return ""; }
    return checked.type === "checkbox" ? "yes" : checked.value;  // stored as the server does
  }

  document.querySelectorAll("[data-show-if-item]").forEach(function (input) {
    var form = input.form;
    if (!form) { return; }
    var item = input.getAttribute("data-show-if-item");
    var value = input.getAttribute("data-show-if-value");
    var wrapper = wrapperOf(input);
    var hasError = wrapper.classList.contains("has-error");

    function update() {
      // A question with an error stays visible, so the error can always be read and fixed.
      wrapper.hidden = !hasError && chosenValue(form, item) !== value;
    }

    var controls = form.querySelectorAll('input[name="' + CSS.escape(item) + '"]');
    if (!controls.length) { return; }  // the answer it depends on is on another page
    controls.forEach(function (control) {
      control.addEventListener("change", function () {
        hasError = false;
        update();
      });
    });
    update();
  });

  // A note (role=status) says what happens after an answer: a time inside the fasting window
  // (compared as "YYYY-MM-DDTHH:MM" text, on the clinic's clock) or a "yes".
  document.querySelectorAll("[data-note-for]").forEach(function (note) {
    var inputs = document.querySelectorAll(
      '[name="' + CSS.escape(note.getAttribute("data-note-for")) + '"]');
    var from = note.getAttribute("data-window-from");
    var when = note.getAttribute("data-note-if");

    function update() {
      var applies = false;
      inputs.forEach(function (input) {
        if (from !== null && input.value && input.value > from) { applies = true; }
        if (when !== null && input.checked && input.value === when) { applies = true; }
      });
      note.textContent = applies ? note.getAttribute("data-note") : "";
    }

    inputs.forEach(function (input) { input.addEventListener("change", update); });
  });
})();
