// The Evaluation page shows its numbers first and lists its figures without drawing them
// (drawing is most of a report's build time). This fetches every drawing at once and puts
// each in its figure. Without JavaScript, or if the fetch fails, each figure keeps its link
// to the page with the figures drawn, and its numbers stay in the table beside it.
(function () {
  var report = document.querySelector("article.report[data-figures]");
  if (!report || !window.fetch) return;
  var waiting = report.querySelectorAll("figure.figure-listed[data-figure]");
  if (!waiting.length) return;
  report.setAttribute("aria-busy", "true");
  fetch(report.dataset.figures, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
    .then(function (answer) {
      if (!answer.ok) throw new Error("figures: " + answer.status);
      return answer.json();
    })
    .then(function (images) {
      waiting.forEach(function (figure) {
        var image = images[figure.dataset.figure];
        var wait = figure.querySelector(".figure-wait");
        if (!image || !wait) return;
        var img = document.createElement("img");
        img.className = "report-figure";
        img.alt = image.alt;
        img.src = image.src;
        wait.replaceWith(img);
        figure.classList.remove("figure-listed");
      });
    })
    .catch(function () {})
    .finally(function () {
      report.removeAttribute("aria-busy");
    });
})();
