// Theme board: drag an item (statement, coding, code or theme) onto a theme to move it there.
// Each drop posts the same fields as the item's own "Move to" form, which keeps working
// without JavaScript or a mouse; the page then reloads so the board and the recurrence table
// show what the server kept.
(function () {
  var board = document.querySelector("[data-board]");
  if (!board) return;
  var status = board.querySelector("[data-board-status]");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  var dragged = null;

  board.querySelectorAll("[data-item]").forEach(function (item) {
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.item);
      event.stopPropagation();
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("dragging");
      dragged = null;
    });
  });

  board.querySelectorAll("[data-drop]").forEach(function (zone) {
    zone.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      zone.classList.add("drop-here");
    });
    zone.addEventListener("dragleave", function () {
      zone.classList.remove("drop-here");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      event.stopPropagation();
      zone.classList.remove("drop-here");
      if (!dragged) return;
      var to = zone.dataset.drop;
      var from = dragged.dataset.from || "";
      if (to === from) return;
      var body = new FormData();
      body.append("item", dragged.dataset.item);
      body.append("from", from);
      body.append("to", to);
      body.append("method", board.dataset.method);
      if (status) status.textContent = "Moving...";
      fetch(board.dataset.moveUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (answer) {
          if (answer.ok) {
            window.location.reload();
          } else if (status) {
            status.textContent = answer.data.problems.join(" ");
            status.classList.remove("visually-hidden");
            status.classList.add("error");
          }
        })
        .catch(function () {
          if (status) status.textContent = "Not moved: the server did not answer. Try again.";
        });
    });
  });
})();
