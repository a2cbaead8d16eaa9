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
  const soundState = document.getElementById("sound-state");
  const MUTE_KEY = "yiyang.alerts.muted";
  // Sound is on by default. Browsers keep an AudioContext suspended until the page gets a
  // gesture (the autoplay rule): the first click or key anywhere enables it, and until then
  // the page says plainly that sound is off.
  const Ctx = window.AudioContext || window.webkitAudioContext;
  let audio = Ctx ? new Ctx() : null;
  let muted = window.localStorage && localStorage.getItem(MUTE_KEY) === "1";
  let known = new Set(criticalOpen());

  function criticalOpen() {
    const list = queue.querySelector("ol.queue");
    const value = list ? list.dataset.criticalOpen : "";
    return value ? value.split(",") : [];
  }

  function soundOn() { return !muted && !!audio && audio.state === "running"; }

  function showSound() {
    const on = soundOn();
    if (soundButton) {
      soundButton.textContent = on ? soundButton.dataset.on : (muted ? soundButton.dataset.muted : soundButton.dataset.off);
      soundButton.setAttribute("aria-pressed", on ? "true" : "false");
      soundButton.classList.toggle("warn", !on);
    }
    if (soundState) {
      soundState.hidden = on;
      soundState.textContent = muted ? soundState.dataset.muted : soundState.dataset.blocked;
    }
    document.body.dataset.sound = on ? "on" : (muted ? "muted" : "blocked");
  }

  function unlock() {
    if (audio && audio.state !== "running") audio.resume().then(showSound, showSound);
  }

  function beep() {
    if (!soundOn()) return;
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
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  }

  function gesture(e) {
    if (soundButton && soundButton.contains(e.target)) return;  // the button decides itself
    if (!muted) unlock();
  }
  document.addEventListener("pointerdown", gesture);
  document.addEventListener("keydown", gesture);
  if (audio) audio.addEventListener("statechange", showSound);

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      if (soundOn()) {
        muted = true;
      } else {
        muted = false;
        if (!audio && Ctx) audio = new Ctx();
        if (audio) audio.resume().then(function () { showSound(); beep(); }, showSound);
      }
      if (window.localStorage) localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
      showSound();
    });
  }
  showSound();
  // While a critical alarm waits unanswered, remind every 20 seconds.
  setInterval(function () { if (criticalOpen().length) beep(); }, 20000);

  const units = { s: root.dataset.unitS || " s", min: root.dataset.unitMin || " min" };
  function ages() {
    const now = Date.now() / 1000;
    queue.querySelectorAll(".age[data-raised]").forEach(function (el) {
      const s = Math.max(0, Math.round(now - Number(el.dataset.raised)));
      // Waiting times in seconds (the 60 s and 180 s targets are read in seconds).
      el.textContent = s < 600 ? s + units.s : Math.floor(s / 60) + units.min;
      el.closest("li").classList.toggle("late", s > 60);
      el.closest("li").classList.toggle("over-limit", s > 180);
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
