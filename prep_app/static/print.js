// A print button for the prep timeline (the page also prints from the browser's menu).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
