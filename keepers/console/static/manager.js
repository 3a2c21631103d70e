// Asset manager page: the book's forms (POST JSON to /manager/<form>) and the bulk rebalance's
// progress (`progress` messages of /events, re-dispatched by console.js: done/total and each
// client's outcome).
(function () {
  "use strict";
  document.addEventListener("submit", async function (ev) {
    const form = ev.target.closest("form[data-manager]");
    if (!form) return;
    ev.preventDefault();
    const name = form.dataset.manager;
    const error = form.querySelector(".error");
    const result = form.querySelector(".result");
    error.textContent = ""; result.textContent = "";
    if (name === "rebalance") {
      form.querySelector("[data-testid=progress-list]").innerHTML = "";
      form.querySelector("[data-testid=progress-count]").textContent = "";
    }
    const body = await window.quanteraPostJson("/manager/" + name, form, error);
    if (!body) return;
    result.textContent = body.message;
  });

  // The console's one event stream re-dispatches `progress` messages (console.js).
  document.addEventListener("quantera:progress", function (ev) {
    const data = ev.detail;
    const box = document.querySelector("[data-testid=progress]");
    if (!box) return;
    const count = box.querySelector("[data-testid=progress-count]");
    if (data.error) { count.textContent = data.model + ": failed: " + data.error; count.className = "bad"; return; }
    if (data.finished) {
      const c = data.counts || {};
      count.textContent = data.model + ": done " + data.done + "/" + data.total + " — " + c.rebalanced + " rebalanced, " + c.skipped + " skipped, " + c.failed + " failed (" + data.seconds + " s)";
      count.dataset.finished = "1";
      return;
    }
    count.textContent = data.model + ": " + data.done + "/" + data.total;
    count.dataset.done = String(data.done); count.dataset.total = String(data.total);
    const li = document.createElement("li");
    li.dataset.portfolio = data.portfolio; li.dataset.status = data.status;
    li.textContent = data.portfolio + " " + data.status + (data.reason ? " (" + data.reason + ")" : "");
    box.querySelector("[data-testid=progress-list]").appendChild(li);
  });
})();
