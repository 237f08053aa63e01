// A print button for the prep timeline. It is hidden in the page and shown here, so a browser
// without JavaScript shows no button that does nothing (the page says to use the Print menu).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
