// The inbox, enhanced: pages look for changes every few seconds (ETag: 304 while nothing
// changed). The list swaps in the server-rendered rows; an item page reloads itself when its
// question was answered elsewhere, unless the person is typing an answer. Without JavaScript
// the forms work the same (POST, then redirect).
(function () {
  "use strict";

  function poll(el, url, onChange) {
    let etag = el.dataset.etag || null;
    const every = parseInt(el.dataset.interval || "2000", 10);
    async function tick() {
      try {
        const headers = { Accept: "text/html" };
        if (etag) headers["If-None-Match"] = etag;
        const r = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
        if (r.status === 401) { window.location.reload(); return; }
        if (r.status === 200) {
          etag = r.headers.get("ETag");
          onChange(await r.text());
        }
      } catch (e) { /* offline for a moment: try again */ }
      window.setTimeout(tick, every);
    }
    window.setTimeout(tick, every);
  }

  function decisions(form) {
    // HITL decisions: show the edit box or the message box only when that choice is made.
    form.querySelectorAll("fieldset.decision").forEach(function (fs) {
      function sync() {
        const chosen = fs.querySelector("input[type=radio]:checked");
        const value = chosen ? chosen.value : "";
        fs.querySelectorAll(".when-edit").forEach(function (n) { n.hidden = value !== "edit"; });
        fs.querySelectorAll(".when-message").forEach(function (n) {
          n.hidden = value !== "reject" && value !== "respond";
        });
      }
      fs.addEventListener("change", sync);
      sync();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const items = document.getElementById("items");
    if (items && items.dataset.poll) {
      poll(items, items.dataset.poll, function (html) { items.innerHTML = html; });
    }
    const main = document.querySelector("main[data-page=item]");
    if (main && main.dataset.poll) {
      let dirty = false;
      document.querySelectorAll("form.answer").forEach(function (form) {
        form.addEventListener("input", function () { dirty = true; });
        form.addEventListener("submit", function () {
          // One answer per click: a second submit while the first is on its way is dropped.
          window.setTimeout(function () {
            form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
          }, 0);
        });
        decisions(form);
      });
      poll(main, main.dataset.poll, function () {
        if (dirty) { document.getElementById("changed").hidden = false; }
        else { window.location.reload(); }
      });
    }
  });
})();
