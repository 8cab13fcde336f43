// Small progressive enhancements; every page works without JavaScript.
// Forms marked data-confirm ask before sending.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
