// "Copy" buttons: <button data-copy="ID" hidden> copies the value of the field ID. Without
// JavaScript (or a clipboard) the button stays hidden and the field can be copied by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) return;
  var said = button.parentElement.querySelector("[data-copied]");
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(
      function () { if (said) said.textContent = "Copied."; },
      function () { field.select(); if (said) said.textContent = "Select the link and copy it."; }
    );
  });
});
