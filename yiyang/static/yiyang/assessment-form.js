/* The assessment form's running score. On every answer the page asks the platform to
   score the answers so far (POST /api/v1/assessments/preview/ with "partial": true, the
   code path submission uses) and shows the total, the number answered and the level.
   Saving stays with the form's own buttons: each screen is saved when moving on. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var form = document.getElementById("assessment-form");
    var dataNode = document.getElementById("assessment-entry");
    if (!form || !dataNode) return;
    var entry = JSON.parse(dataNode.textContent);
    var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    var token = tokenInput ? tokenInput.value : "";
    var bar = document.getElementById("score-bar");
    var sequence = 0;
    var timer = null;

    function byId(id) { return document.getElementById(id); }

    function currentAnswers() {
      var answers = {};
      Object.keys(entry.answers).forEach(function (code) { answers[code] = entry.answers[code]; });
      form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
        if (input.name !== "coma") answers[input.name] = parseInt(input.value, 10);
      });
      return answers;
    }

    function currentFacts() {
      var facts = { coma: entry.coma, diagnoses: entry.diagnoses, risk_events_30d: entry.risk_events_30d };
      var coma = form.querySelector("input[name=coma]:checked");
      if (!coma) return facts;
      facts.coma = coma.value === "yes";
      var codes = [];
      form.querySelectorAll("input[name=diagnoses]:checked").forEach(function (box) { codes.push(box.value); });
      var free = form.querySelector("input[name=diagnoses_free]");
      if (free && free.value.trim()) {
        free.value.split(/[\s,;，、；]+/).forEach(function (code) { if (code) codes.push(code); });
      }
      facts.diagnoses = codes;
      var events = {};
      form.querySelectorAll("input[name^=risk_]").forEach(function (input) {
        var count = parseInt(input.value, 10);
        if (count > 0) events[input.name.slice(5)] = count;
      });
      facts.risk_events_30d = events;
      return facts;
    }

    function markAnswered() {
      form.querySelectorAll("fieldset.af-item[data-item]").forEach(function (fieldset) {
        var chosen = fieldset.querySelector("input[type=radio]:checked");
        fieldset.classList.toggle("answered", Boolean(chosen));
      });
    }

    function show(result) {
      byId("running-total").textContent = result.total;
      byId("answered-count").textContent = result.answered;
      var progress = byId("answered-progress");
      if (progress) progress.value = result.answered;
      // The level only once every item is answered: unanswered items count 0 meanwhile.
      var level = entry.levels[String(result.final_level)] || "";
      byId("running-level").textContent =
        result.answered === result.items ? result.final_level + " · " + level : "";
      bar.classList.remove("stale");
      bar.dataset.total = result.total;
    }

    function preview() {
      var facts = currentFacts();
      var body = {
        instrument: entry.instrument,
        answers: currentAnswers(),
        coma: facts.coma,
        diagnoses: facts.diagnoses,
        risk_events_30d: facts.risk_events_30d,
        partial: true
      };
      var mine = ++sequence;
      bar.classList.add("busy");
      fetch(entry.preview_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (reply) {
        if (mine !== sequence) return;  // a newer answer is on its way
        bar.classList.remove("busy");
        if (reply.ok) show(reply.data);
        else bar.classList.add("stale");
      }).catch(function () {
        bar.classList.remove("busy");
        bar.classList.add("stale");
      });
    }

    function later() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(preview, 300);
    }

    form.addEventListener("change", function (event) {
      markAnswered();
      if (event.target.type === "radio" || event.target.type === "checkbox") preview();
      else later();
    });
    form.addEventListener("input", function (event) {
      if (event.target.type === "text" || event.target.type === "number") later();
    });
    markAnswered();
  });
})();
