// Progressive enhancement for the patient's checklist. Without JavaScript every question shows
// and the server decides what applies; with it, a follow-up question ("What time will they
// come back?") is hidden until the answer it depends on is chosen.
(function () {
  "use strict";

  function wrapperOf(input) {
    return input.closest(".field") || input;
  }

  function chosenValue(form, name) {
    var checked = form.querySelector('input[name="' + CSS.escape(name) + '"]:checked');
    return checked ? checked.value : "";
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
    controls.forEach(function (radio) {
      radio.addEventListener("change", function () {
        hasError = false;
        update();
      });
    });
    update();
  });
})();
