/* Yiyang: what the pages that keep working offline share (the caregiver's visit actions
 * and the meal counter): the page's translated texts, the CSRF token,
 * ids made on the phone, a list kept in localStorage, and a JSON POST that answers
 * {ok, status, data} whatever the body (a network failure rejects). Load it before the
 * page's own script (both deferred, so they run in order).
 */
(function () {
  "use strict";

  /* A lookup of the texts the page carries as JSON in the element with this id. */
  function texts(elementId) {
    return function (name) {
      var el = document.getElementById(elementId);
      if (!el) return name;
      try { return JSON.parse(el.textContent)[name] || name; } catch (e) { return name; }
    };
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* A list kept under `key` in localStorage; `onChange` runs after each save. */
  function storedList(key, onChange) {
    return {
      load: function () {
        try { return JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { return []; }
      },
      save: function (list) {
        window.localStorage.setItem(key, JSON.stringify(list));
        if (onChange) onChange();
      }
    };
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  window.YiyangOffline = { texts: texts, csrf: csrf, uuid: uuid, storedList: storedList, postJson: postJson };
})();
