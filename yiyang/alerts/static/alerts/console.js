// The operator console: follows the alert change feed (server-sent events), reloads the
// queue on every change, beeps for new critical alerts, keeps ages current, shows the
// degraded-ingestion banner. No dependencies.
(function () {
  "use strict";
  const root = document.getElementById("console");
  if (!root) return;
  const queue = document.getElementById("queue");
  const state = document.getElementById("live-state");
  const soundButton = document.getElementById("sound-toggle");
  let audio = null;
  let known = new Set(criticalOpen());

  function criticalOpen() {
    const list = queue.querySelector("ol.queue");
    const value = list ? list.dataset.criticalOpen : "";
    return value ? value.split(",") : [];
  }

  function beep() {
    if (!audio) return;
    const now = audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, now + i * 0.35);
      gain.gain.setValueAtTime(0, now + i * 0.35 + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.35);
      osc.stop(now + i * 0.35 + 0.22);
    }
  }

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!audio && Ctx) audio = new Ctx();
      if (audio) audio.resume();
      soundButton.textContent = soundButton.dataset.on;
      soundButton.setAttribute("aria-pressed", "true");
      beep();
    });
  }

  function ages() {
    const now = Date.now() / 1000;
    queue.querySelectorAll(".age[data-raised]").forEach(function (el) {
      const s = Math.max(0, Math.round(now - Number(el.dataset.raised)));
      el.textContent = s < 120 ? s + " s" : Math.floor(s / 60) + " min";
      el.closest("li").classList.toggle("late", s > 60);
    });
  }

  let loading = null;
  function reload() {
    if (loading) { loading.again = true; return; }
    loading = { again: false };
    const selected = new URLSearchParams(location.search).get("alert") || "";
    fetch(root.dataset.queue + "?alert=" + encodeURIComponent(selected), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        queue.innerHTML = html;
        const now = criticalOpen();
        if (now.some(function (id) { return !known.has(id); })) beep();
        known = new Set(now);
        ages();
      })
      .catch(function () {})
      .finally(function () {
        const again = loading.again;
        loading = null;
        if (again) reload();
      });
  }

  function connect() {
    const source = new EventSource(root.dataset.stream);
    source.onopen = function () { state.textContent = state.dataset.connected; state.classList.add("on"); };
    source.onerror = function () { state.textContent = state.dataset.disconnected; state.classList.remove("on"); };
    source.addEventListener("change", reload);
    source.addEventListener("status", function (e) {
      const banner = document.getElementById("degraded-banner");
      if (banner) banner.hidden = !JSON.parse(e.data).degraded;
    });
  }

  connect();
  ages();
  setInterval(ages, 1000);
})();
