/* Yiyang: the caregiver's visit actions, with an offline queue.
 *
 * A tap records its time at once ("at"). The action is posted to the visits API; when the
 * network is down (fetch throws, or the phone says it is offline) it is kept in
 * localStorage with its original time and a client_action_id, and sent again on the
 * "online" event, on page load and every 15 s, with "sent_at" = the time of sending (the
 * server uses it to detect a wrong phone clock, and the id to apply a re-send once).
 * A 4xx answer drops the action and shows the server's message, except 401/403 (the
 * session ended, e.g. after a long time offline): the action waits for a new log-in.
 * The shared plumbing (texts, CSRF, ids, the stored list, the JSON POST) is offline-queue.js.
 */
(function () {
  "use strict";
  var Offline = window.YiyangOffline;
  var RETRY_MS = 15000;
  var root = document.querySelector("[data-visit-app]");
  var banner = document.getElementById("queue-banner");
  var flushing = false;
  var text = Offline.texts("visit-texts");
  var csrf = Offline.csrf;
  var uuid = Offline.uuid;
  var stored = Offline.storedList("yiyang.visit-queue.v1", function () { updateBanner(); });
  var load = stored.load;
  var save = stored.save;

  function updateBanner() {
    if (!banner) return;
    var n = load().length;
    banner.hidden = n === 0;
    banner.setAttribute("data-count", String(n));
    var count = banner.querySelector(".count");
    if (count) count.textContent = String(n);
  }

  function errorText(data) {
    if (!data || typeof data !== "object") return text("failed");
    var parts = [];
    Object.keys(data).forEach(function (key) {
      var value = data[key];
      if (Array.isArray(value)) value.forEach(function (v) { parts.push(typeof v === "string" ? v : JSON.stringify(v)); });
      else if (typeof value === "string") parts.push(value);
      else if (value && typeof value === "object") parts.push(errorText(value));
    });
    return parts.join(" ") || text("failed");
  }

  function show(kind, message) {
    var box = document.getElementById("visit-status");
    if (!box) return;
    box.className = "visit-status " + kind;
    box.textContent = message;
    box.hidden = false;
  }

  /* Post one action. Resolves {ok, data} | {rejected, message} | {network: true}. */
  function send(action) {
    var body = Object.assign({}, action.body, {
      client_action_id: action.id, sent_at: new Date().toISOString()
    });
    return Offline.postJson(action.url, body).then(function (answer) {
      var data = answer.data;
      if (answer.ok) return { ok: true, data: data };
      // Logged out (the session ended while offline) or a stale CSRF token: keep the
      // action, it is sent once the caregiver has logged in again.
      if (answer.status === 401 || answer.status === 403) return { auth: true, message: errorText(data) };
      if (answer.status >= 400 && answer.status < 500) return { rejected: true, message: errorText(data), data: data };
      return { network: true };  // a server error: keep it and try again later
    }, function () { return { network: true }; });
  }

  function enqueue(action) {
    var list = load();
    list.push(action);
    save(list);
    show("queued", text("queued"));
  }

  /* Send the queued actions in order; stop at the first network failure. */
  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    var list = load();
    if (!list.length) return Promise.resolve();
    flushing = true;
    var sentAny = false;
    var step = function () {
      var queue = load();
      if (!queue.length) return Promise.resolve();
      var action = queue[0];
      return send(action).then(function (result) {
        if (result.network) return Promise.reject(new Error("offline"));
        if (result.auth) {
          show("error", result.message + " " + text("log_in"));
          return Promise.reject(new Error("auth"));
        }
        save(load().filter(function (a) { return a.id !== action.id; }));
        if (result.rejected) show("error", action.label + ": " + result.message);
        else sentAny = true;
        return step();
      });
    };
    return step().then(function () {
      flushing = false;
      if (sentAny) {
        show("ok", text("synced"));
        if (!document.querySelector(".visit-status.error")) window.setTimeout(function () { window.location.reload(); }, 600);
      }
    }, function () { flushing = false; });
  }

  /* A tap: record now, send, queue when the network is down. */
  function submit(url, body, label) {
    var action = { id: uuid(), url: url, label: label || "", body: Object.assign({ at: new Date().toISOString() }, body) };
    if (!navigator.onLine) { enqueue(action); return Promise.resolve({ queued: true }); }
    show("sending", text("sending"));
    return send(action).then(function (result) {
      if (result.network) { enqueue(action); return { queued: true }; }
      if (result.auth) {
        enqueue(action);
        show("error", result.message + " " + text("log_in"));
        return { queued: true };
      }
      if (result.rejected) { show("error", result.message); return result; }
      show("ok", text("done"));
      return result;
    });
  }

  function position() {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) { reject(new Error(text("no_location"))); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy });
      }, function (err) { reject(new Error(text("no_location") + " (" + err.message + ")")); },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }

  function afterAnswer(result) {
    if (result && result.ok) {
      var flags = (result.data && result.data.flags) || [];
      if (flags.length) show("warn", text("flagged") + " " + flags.map(function (f) { return f.detail; }).join(" "));
      window.setTimeout(function () { window.location.reload(); }, flags.length ? 1200 : 300);
    }
  }

  function busy(button, on) { if (button) { button.disabled = on; button.classList.toggle("busy", on); } }

  function bind() {
    if (!root) return;
    var api = root.getAttribute("data-api");
    var setOff = document.getElementById("set-off");
    if (setOff) setOff.addEventListener("click", function () {
      busy(setOff, true);
      submit(api + "set-off/", {}, setOff.textContent.trim()).then(function (r) { busy(setOff, false); afterAnswer(r); });
    });
    var checkIn = document.getElementById("check-in");
    if (checkIn) checkIn.addEventListener("click", function () {
      var at = new Date().toISOString();
      busy(checkIn, true);
      show("sending", text("locating"));
      position().then(function (fix) {
        fix.at = at;
        return submit(api + "check-in/", fix, checkIn.textContent.trim());
      }).then(function (r) {
        busy(checkIn, false);
        if (r && r.queued) checkIn.classList.add("queued");
        afterAnswer(r);
      }, function (err) { busy(checkIn, false); show("error", err.message); });
    });
    var checkOut = document.getElementById("check-out");
    if (checkOut) checkOut.addEventListener("click", function () {
      // An implausibly short visit (checked in a moment ago) asks before checking out.
      var since = Number(checkOut.getAttribute("data-check-in-at") || 0);
      var shortMinutes = Number(checkOut.getAttribute("data-short-minutes") || 0);
      if (since && shortMinutes) {
        var elapsed = Math.floor((Date.now() / 1000 - since) / 60);
        var question = (checkOut.getAttribute("data-confirm-short") || "").replace("{elapsed}", String(Math.max(0, elapsed)));
        if (elapsed < shortMinutes && !window.confirm(question)) return;
      }
      var at = new Date().toISOString();
      var tasks = Array.prototype.map.call(document.querySelectorAll("input[name=tasks_done]:checked"), function (i) { return i.value; });
      var notes = (document.getElementById("notes") || {}).value || "";
      var outcome = (document.getElementById("outcome") || {}).value || "done";
      busy(checkOut, true);
      show("sending", text("locating"));
      position().then(function (fix) {
        fix.at = at; fix.tasks_done = tasks; fix.notes = notes; fix.outcome = outcome;
        return submit(api + "check-out/", fix, checkOut.textContent.trim());
      }).then(function (r) {
        busy(checkOut, false);
        if (r && r.queued) checkOut.classList.add("queued");
        afterAnswer(r);
      }, function (err) { busy(checkOut, false); show("error", err.message); });
    });
    document.querySelectorAll("form.explain").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = { code: form.getAttribute("data-code"), explanation: form.querySelector("textarea").value };
        submit(api + "explain/", body, text("explain")).then(afterAnswer);
      });
    });
    var photo = document.getElementById("photo");
    if (photo) photo.addEventListener("change", function () {
      if (!photo.files || !photo.files.length) return;
      if (!navigator.onLine) { show("error", text("photo_offline")); return; }
      var data = new FormData();
      data.append("photo", photo.files[0]);
      show("sending", text("uploading"));
      fetch(api + "photos/", {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) {
            show("ok", text("photo_added"));
            var list = document.getElementById("photos");
            if (list) {
              var chip = document.createElement("span");
              chip.className = "photo-chip";
              chip.textContent = text("photo") + " " + (list.querySelectorAll(".photo-chip").length + 1);
              list.appendChild(chip);
              list.hidden = false;
            }
            photo.value = "";
          }
          else show("error", errorText(body));
        });
      }, function () { show("error", text("photo_offline")); });
    });
  }

  window.YiyangVisitQueue = { submit: submit, flush: flush, pending: function () { return load(); } };
  window.addEventListener("online", function () { flush(); });
  window.setInterval(flush, RETRY_MS);
  bind();
  updateBanner();
  flush();
})();
