/* Yiyang: the meal counter, with an offline queue.
 *
 * A scan (a keyboard-wedge scanner types the card's QR value and Enter) or a typed ID
 * number or phone is recorded through POST /api/v1/meals/served/ with the tap's time
 * ("at") and a client_id made here. When the network is down the record is kept in
 * localStorage and sent again, oldest first, on the "online" event, on page load and
 * every 15 s. The server applies a client_id once (a re-send answers 200) and refuses a
 * second meal of the meal-time anywhere in the city (409), so a queue sent twice or out
 * of order never grants a subsidy twice. 401/403 keep the queue until a new log-in.
 * The shared plumbing (texts, CSRF, ids, the stored list, the JSON POST) is offline-queue.js.
 */
(function () {
  "use strict";
  var Offline = window.YiyangOffline;
  var RETRY_MS = 15000;
  var API = "/api/v1/meals/served/";
  var form = document.getElementById("counter-form");
  if (!form) return;
  var flushing = false;
  var text = Offline.texts("counter-texts");
  var uuid = Offline.uuid;
  var post = Offline.postJson;
  var stored = Offline.storedList("yiyang.meal-queue.v1", function () { banner(); });
  var load = stored.load;
  var save = stored.save;

  function banner() {
    var box = document.getElementById("counter-queue");
    var n = load().length;
    box.hidden = n === 0;
    box.setAttribute("data-count", String(n));
    box.querySelector(".count").textContent = String(n);
  }
  function show(kind, message) {
    var box = document.getElementById("counter-status");
    box.className = "visit-status " + kind;
    box.textContent = message;
    box.hidden = false;
  }
  function log(kind, message) {
    var li = document.createElement("li");
    li.className = kind;
    li.textContent = new Date().toLocaleTimeString().slice(0, 5) + " " + message;
    var list = document.getElementById("counter-log");
    list.insertBefore(li, list.firstChild);
  }
  function errorText(data) {
    if (!data || typeof data !== "object") return text("failed");
    if (typeof data.detail === "string") return data.detail;
    var parts = [];
    Object.keys(data).forEach(function (key) {
      var value = data[key];
      if (Array.isArray(value)) value.forEach(function (v) { parts.push(String(v)); });
      else if (typeof value === "string") parts.push(value);
    });
    return parts.join(" ") || text("failed");
  }

  /* What the operator typed or scanned: a card, an ID number or a phone. */
  function who(code) {
    var value = code.trim();
    var compact = value.replace(/\s+/g, "");
    if (/^(YYMC:)?[0-9A-F]{16}$/i.test(compact) && !/^\d{15}$|^\d{17}[\dXx]$/.test(compact)) return { card: compact };
    if (/^\d{15}$|^\d{17}[\dXx]$/.test(compact)) return { id_number: compact };
    if (/^\+?\d{7,14}$/.test(compact)) return { phone: compact };
    return { card: value };
  }
  function body() {
    var data = who(document.getElementById("counter-code").value);
    data.canteen = document.getElementById("counter-canteen").value;
    data.meal = document.getElementById("counter-meal").value;
    data.mode = document.getElementById("counter-mode").value;
    var dish = document.getElementById("counter-dish");
    if (dish && dish.value) data.dish = dish.value;
    return data;
  }
  function money(data) {
    return text("price") + " ¥" + data.price + " · " + text("subsidy") + " ¥" + data.subsidy +
      " · " + text("self_pay") + " ¥" + data.self_pay;
  }

  function preview() {
    var box = document.getElementById("counter-preview");
    if (!navigator.onLine) return;
    post(API + "preview/", body()).then(function (answer) {
      box.hidden = false;
      box.textContent = "";
      if (answer.status !== 200) { box.textContent = errorText(answer.data); return; }
      var d = answer.data;
      if (d.photo) {
        // The elder's photo, so the staff confirm whom they serve (never cached).
        var img = document.createElement("img");
        img.className = "counter-photo"; img.id = "counter-photo"; img.src = d.photo;
        img.alt = text("photo") + " · " + d.name;
        box.appendChild(img);
      }
      [["preview-name", d.name + " · " + d.id_number], ["preview-money", money(d)]].forEach(function (pair) {
        var p = document.createElement("p"); p.className = pair[0]; p.textContent = pair[1]; box.appendChild(p);
      });
      d.warnings.concat(d.already_served ? [d.already_served] : []).forEach(function (w) {
        var p = document.createElement("p"); p.className = "preview-warn"; p.textContent = w; box.appendChild(p);
      });
    }).catch(function () { box.hidden = true; });
  }

  /* Resolves "done" (recorded, replayed or refused: leave the queue), "wait" (keep it). */
  function send(item) {
    return post(API, item.body).then(function (answer) {
      if (answer.status === 201 || answer.status === 200) {
        log("ok", text("recorded") + ": " + answer.data.elder_name + " · " + money(answer.data));
        show("ok", text("recorded") + ": " + answer.data.elder_name + " · " + money(answer.data));
        return "done";
      }
      if (answer.status === 401 || answer.status === 403) { show("error", text("login")); return "wait"; }
      log("refused", text("refused") + ": " + errorText(answer.data));
      show("error", errorText(answer.data));
      return "done";
    }, function () { return "wait"; });
  }

  function flush() {
    if (flushing) return Promise.resolve();
    var queue = load();
    if (!queue.length) return Promise.resolve();
    flushing = true;
    queue.sort(function (a, b) { return a.body.at < b.body.at ? -1 : 1; });
    var sent = 0;
    function next() {
      var list = load();
      if (!list.length) return Promise.resolve();
      list.sort(function (a, b) { return a.body.at < b.body.at ? -1 : 1; });
      return send(list[0]).then(function (result) {
        if (result !== "done") return;
        sent += 1;
        save(load().filter(function (x) { return x.id !== list[0].id; }));
        return next();
      });
    }
    return next().then(function () {
      flushing = false;
      if (sent) show("ok", text("synced").replace("%(n)s", String(sent)));
    }, function () { flushing = false; });
  }

  function record(event) {
    event.preventDefault();
    var data = body();
    var item = { id: uuid(), body: data };
    data.client_id = item.id;
    data.at = new Date().toISOString();
    document.getElementById("counter-code").value = "";
    document.getElementById("counter-preview").hidden = true;
    var offline = function () {
      var list = load(); list.push(item); save(list);
      var meal = document.getElementById("counter-meal");
      log("queued", text("queued") + " · " + meal.options[meal.selectedIndex].text);
      show("queued", text("offline_saved"));
    };
    if (!navigator.onLine) { offline(); return; }
    send(item).then(function (result) { if (result === "wait") offline(); });
    document.getElementById("counter-code").focus();
  }

  /* The tablet's camera, where the browser has a QR decoder (BarcodeDetector): the
   * value read fills the field and the preview shows who it is; one tap records. A
   * keyboard-wedge scanner needs none of this: it types the value and Enter. */
  function camera() {
    var button = document.getElementById("counter-camera");
    var video = document.getElementById("counter-video");
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !video) return;
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { return; }
    button.hidden = false;
    var stream = null;
    function stop() {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null; video.hidden = true;
    }
    function look() {
      if (!stream) return;
      detector.detect(video).then(function (codes) {
        if (codes.length) {
          document.getElementById("counter-code").value = codes[0].rawValue;
          stop(); preview(); return;
        }
        window.setTimeout(look, 250);
      }, function () { window.setTimeout(look, 500); });
    }
    button.addEventListener("click", function () {
      if (stream) { stop(); return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s; video.srcObject = s; video.hidden = false;
        video.play().then(look, look);
      }, function () { show("error", text("camera")); });
    });
  }

  /* Only the dishes on today's menu of the chosen canteen and meal can be chosen (the
   * server checks the diet against the dish: a diabetic elder and a sweet dish warn). */
  function dishes() {
    var select = document.getElementById("counter-dish");
    if (!select) return;
    var canteen = document.getElementById("counter-canteen").value;
    var meal = document.getElementById("counter-meal").value;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var fits = option.getAttribute("data-canteen") === canteen && option.getAttribute("data-meal") === meal;
      option.hidden = !fits; option.disabled = !fits;
      if (!fits && option.selected) select.value = "";
    });
  }

  form.addEventListener("submit", record);
  document.getElementById("counter-canteen").addEventListener("change", dishes);
  document.getElementById("counter-meal").addEventListener("change", dishes);
  dishes();
  camera();
  document.getElementById("counter-check").addEventListener("click", preview);
  window.addEventListener("online", flush);
  window.setInterval(function () { if (navigator.onLine) flush(); }, RETRY_MS);
  banner();
  if (navigator.onLine) flush();
})();
