// Quantera console: live pages without a build step.
// On each `block` message from /events the page fetches its live part again (?fragment=1) and
// swaps it in; charts are <div data-chart='{"data":..,"layout":..}'> drawn with Plotly.
// Action forms POST to /actions/<name> and show the prepared Safe batch or the refusal.
(function () {
  "use strict";
  const page = document.body.dataset.page;
  let refreshing = false;
  let again = false;
  const filters = {};

  function drawCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      const spec = JSON.parse(el.dataset.chart);
      const layout = Object.assign({ margin: { t: 30, r: 10, b: 40, l: 50 }, height: 280 }, spec.layout || {});
      window.Plotly.react(el, spec.data, layout, { displayModeBar: false, responsive: true });
    });
  }

  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const response = await fetch("/" + page + "?fragment=1", { cache: "no-store" });
      if (response.ok) {
        const live = document.getElementById("live");
        live.innerHTML = await response.text();
        live.dataset.refreshed = String(Date.now());
        drawCharts(live);
        applyFilters();
      }
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }

  function setFeed(ok, text) {
    const feed = document.getElementById("feed");
    if (!feed) return;
    feed.className = "feed " + (ok ? "up" : "down");
    feed.textContent = text;
  }

  function connect() {
    const source = new EventSource("/events");
    source.addEventListener("hello", function (msg) {
      const data = JSON.parse(msg.data);
      document.getElementById("head").textContent = data.head;
      setFeed(!data.error, data.error ? "feed down: " + data.error : "live");
    });
    source.addEventListener("block", function (msg) {
      const data = JSON.parse(msg.data);
      document.getElementById("head").textContent = data.head;
      setFeed(true, "live");
      refresh();
    });
    // A page's own messages (the manager page's bulk-run `progress`), re-dispatched on the
    // document: one connection per page, whoever listens.
    source.addEventListener("progress", function (msg) {
      document.dispatchEvent(new CustomEvent("quantera:progress", { detail: JSON.parse(msg.data) }));
    });
    source.addEventListener("error", function (msg) {
      if (msg.data) { setFeed(false, "feed down: " + JSON.parse(msg.data).error); }
    });
  }

  // Audit (and any) table filters: rows are fetched from the server, filtered there.
  async function applyFilters() {
    const form = document.querySelector("[data-testid=audit-filter]");
    if (!form || !filters.active) return;
    const params = new URLSearchParams(new FormData(form));
    const response = await fetch("/api/governance/audit?" + params.toString(), { cache: "no-store" });
    const body = await response.json();
    const tbody = document.querySelector("#audit tbody");
    if (!tbody) return;
    tbody.innerHTML = "";
    (body.rows || []).forEach(function (e) {
      const tr = document.createElement("tr");
      tr.dataset.contract = e.contract; tr.dataset.event = e.event;
      [e.block, new Date(e.time * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC", e.contract, e.event, JSON.stringify(e.args), e.tx.slice(0, 10) + "…"].forEach(function (v) {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  document.addEventListener("click", function (ev) {
    const button = ev.target.closest("[data-filter-table]");
    if (!button) return;
    ev.preventDefault();
    filters.active = true;
    applyFilters();
  });

  // The session's token (guard.py): the console refuses a POST without it, so that no other
  // site the operator visits can post to it.
  function sessionToken() {
    const meta = document.querySelector("meta[name=quantera-token]");
    return meta ? meta.content : "";
  }

  // Posts a form's fields as JSON; the answer's body, or null with the refusal shown in `error`.
  async function postJson(url, form, error) {
    let response, body;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Quantera-Token": sessionToken() },
        body: JSON.stringify(Object.fromEntries(new FormData(form))),
      });
      body = await response.json();
    } catch (err) {
      error.textContent = "the console did not answer: " + err;
      return null;
    }
    if (!response.ok) { error.textContent = body.error || ("refused (" + response.status + ")"); return null; }
    return body;
  }
  window.quanteraPostJson = postJson;

  document.addEventListener("submit", async function (ev) {
    const form = ev.target.closest("form[data-action]");
    if (!form) return;
    ev.preventDefault();
    const name = form.dataset.action;
    const error = form.querySelector(".error");
    const result = form.querySelector(".result");
    error.textContent = ""; result.innerHTML = "";
    const body = await postJson("/actions/" + name, form, error);
    if (!body) return;
    const text = JSON.stringify(body.batch, null, 2);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = name + "-batch.json";
    link.textContent = "Download the Safe batch (" + body.batch.transactions.length + " transaction(s))";
    link.dataset.testid = "download-" + name;
    const routes = document.createElement("ul");
    body.routes.forEach(function (r) {
      const li = document.createElement("li");
      li.textContent = r.summary + " — " + r.route + (r.notes.length ? " (" + r.notes.join("; ") + ")" : "");
      routes.appendChild(li);
    });
    const pre = document.createElement("pre"); pre.textContent = text;
    result.append(link, routes, pre);
  });

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    connect();
  });
})();
