/* Patient chat widget: talks to the Rasa server's socket.io channel
   (rasa_extensions/socketio_channel.py) with a token from /api/session.
   Every text goes into the page with textContent: chat text is never HTML
   (the page's Trusted Types policy would refuse an HTML sink anyway).
   Sessions end on the server (cleared, deleted, expired): the channel then
   sends "session_ended", and the next message starts a new conversation. */
(function () {
  "use strict";

  var SETTLE_MS = 600;       // without a "turn_end" (older server): hide once the bot is quiet
  var NO_REPLY_MS = 15000;   // then say so instead of "typing" forever
  var RETRY_MS = [2000, 5000, 10000, 30000];
  var GREETING = "/greet";   // an intent, not words the person typed: not shown after a reload

  function byId(id) { return document.getElementById(id); }

  // The page's texts (web/chat/i18n/<language>.yaml, "js" section), handed over in a data
  // attribute: the Content-Security-Policy allows no inline script.
  var TEXTS = {};
  try { TEXTS = JSON.parse(document.body.getAttribute("data-texts") || "{}"); } catch (e) { TEXTS = {}; }
  var LANGUAGE = document.body.getAttribute("data-language") || "";
  // The page's language goes to the assistant with the greeting and after the person chose
  // one with the page's links; otherwise the conversation's own language stands ("English please").
  var sendLanguage = document.body.getAttribute("data-language-chosen") === "1";
  function T(key, params) {
    var text = TEXTS[key] || key;
    Object.keys(params || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(params[name])); });
    return text;
  }

  var log = byId("log");
  var choices = byId("quick-replies");
  var typing = byId("typing");
  var connection = byId("connection");
  var form = byId("composer");
  var input = byId("message");
  var send = byId("send");
  var counter = byId("message-count");
  var deleteButton = byId("delete-data");
  var deleteConfirm = byId("delete-confirm");
  var deleteYes = byId("delete-yes");
  var deleteNo = byId("delete-no");
  var forgetButton = byId("forget");

  var maxChars = Number(counter.getAttribute("data-max")) || 2000;
  var socket = null;
  var connected = false;
  var shown = 0;           // messages in the log, so a reconnect adds only what is new
  var greeted = false;
  var retries = 0;
  var ended = false;       // the server ended this conversation's session
  var unanswered = null;   // typed text sent but not answered yet (given back if the session ended)
  var settleTimer = null;
  var lateTimer = null;

  // ---------------------------------------------------------------- log
  function usableReplies(replies) {
    return Array.isArray(replies) ? replies.filter(function (r) {
      return r && typeof r.title === "string" && typeof r.payload === "string";
    }) : [];
  }

  function addMessage(sender, text, replies) {
    var item = document.createElement("li");
    item.className = sender === "bot" ? "msg msg-bot" : "msg msg-user";
    var speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = sender === "bot" ? T("assistant") : T("you");
    var body = document.createElement("span");
    body.className = "msg-text";
    body.textContent = text;
    item.appendChild(speaker);
    item.appendChild(body);
    var choiceList = usableReplies(replies);
    if (choiceList.length) {  // a screen reader hears the choices with the question
      var hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = T("choices_hint", { choices: choiceList.map(function (r) { return r.title; }).join(", ") });
      item.appendChild(hint);
    }
    log.appendChild(item);
    shown += 1;
    log.scrollTop = log.scrollHeight;
  }

  function showChoices(replies) {
    choices.replaceChildren();
    var usable = usableReplies(replies);
    choices.hidden = usable.length === 0;
    usable.forEach(function (reply) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "quick-reply";
      button.textContent = reply.title;
      button.addEventListener("click", function (event) {
        button.blur();  // a tapped button must not stay highlighted
        if (!say(reply.payload, reply.title)) { return; }
        // The used buttons are gone: keyboard and mouse users go on in the text box;
        // on a touch screen that would pop up the on-screen keyboard, so focus the
        // conversation instead, where the next question arrives.
        if (event.pointerType === "touch") { log.focus({ preventScroll: true }); } else { input.focus(); }
      });
      choices.appendChild(button);
    });
  }

  // ---------------------------------------------------------------- status
  function setConnection(state, text) {
    connection.setAttribute("data-state", state);
    connection.textContent = text;
    send.setAttribute("aria-disabled", state === "connected" ? "false" : "true");
  }

  function startTyping() {
    clearTimeout(settleTimer);
    clearTimeout(lateTimer);
    typing.className = "typing active";
    typing.textContent = T("typing");
    lateTimer = setTimeout(function () {
      typing.className = "typing late";
      typing.textContent = T("no_reply");
    }, NO_REPLY_MS);
  }

  function botSpoke() {
    clearTimeout(lateTimer);
    clearTimeout(settleTimer);
    if (typing.classList.contains("late")) { typing.className = "typing active"; typing.textContent = T("typing"); }
    settleTimer = setTimeout(function () { stopTyping(); showNewest(); }, SETTLE_MS);
  }

  function showNewest() {
    // The page itself scrolls too (on a phone the text box may be all that is in view):
    // the newest message, its start when it is taller than the screen.
    var newest = log.lastElementChild;
    if (!newest || typeof newest.scrollIntoView !== "function") { return; }
    newest.scrollIntoView({ block: newest.offsetHeight > window.innerHeight ? "start" : "nearest" });
  }

  function stopTyping() {
    clearTimeout(settleTimer);
    clearTimeout(lateTimer);
    typing.className = "typing";
    typing.textContent = "";
  }

  // ---------------------------------------------------------------- sending
  function withinLimit(text) {
    var chars = Array.from(text);  // code points, as the server counts them
    return chars.length > maxChars ? chars.slice(0, maxChars).join("") : text;
  }

  function say(message, label, metadata) {
    if (ended) {
      setConnection("reconnecting", T("restarting"));
      restart();
      return false;
    }
    if (!connected) {
      setConnection("offline", T("not_connected"));
      return false;
    }
    metadata = metadata || {};
    if (sendLanguage && LANGUAGE) {
      metadata.language = LANGUAGE;
      sendLanguage = false;
    }
    socket.emit("user_uttered", { message: message, metadata: metadata });
    unanswered = label ? null : message;
    addMessage("user", label || message);
    showChoices(null);
    startTyping();
    return true;
  }

  function updateCounter() {
    var length = Array.from(input.value).length;
    var over = length > maxChars;
    counter.classList.toggle("over", over);
    counter.textContent = T(over ? "count_over" : "count", {
      n: length.toLocaleString("en"), max: maxChars.toLocaleString("en")
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (text.trim() && say(withinLimit(text))) {
      input.value = "";
      updateCounter();
    }
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition
    // (Chinese, Japanese input) only ends the composition.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", updateCounter);

  deleteButton.addEventListener("click", function () {
    deleteConfirm.hidden = false;
    deleteButton.setAttribute("aria-expanded", "true");
    deleteYes.focus();
  });
  function closeDelete(focusOn) {
    deleteConfirm.hidden = true;
    deleteButton.setAttribute("aria-expanded", "false");
    focusOn.focus();
  }
  deleteNo.addEventListener("click", function () { closeDelete(deleteButton); });
  deleteYes.addEventListener("click", function () {
    // Confirmed here already: the assistant deletes without asking again.
    if (say(T("delete_words"), null, { confirmed: "delete" })) { closeDelete(input); }
  });

  forgetButton.addEventListener("click", function () {
    fetch("/api/session", { method: "DELETE", credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("forget " + response.status); }
      window.location.reload();
    }).catch(function () {
      setConnection("offline", T("forget_failed"));
    });
  });

  // ---------------------------------------------------------------- receiving
  function showHistory(items) {
    if (!Array.isArray(items)) { return; }
    if (items.length < shown) { log.replaceChildren(); shown = 0; greeted = false; }  // erased meanwhile
    var restoring = shown === 0 && items.length > 0;
    if (restoring) { log.setAttribute("aria-live", "off"); }  // do not read out the whole past conversation
    items.slice(shown).forEach(function (item) {
      if (item && typeof item.text === "string") {
        addMessage(item.sender === "user" ? "user" : "bot", item.text, item.quick_replies);
      }
    });
    if (restoring) {
      log.setAttribute("aria-live", "polite");
      setConnection("connected", T("restored"));
    }
    var last = items[items.length - 1];
    showChoices(last && last.sender === "bot" ? last.quick_replies : null);
    if (items.length === 0 && !greeted) {
      greeted = true;
      socket.emit("user_uttered", { message: GREETING, metadata: LANGUAGE ? { language: LANGUAGE } : {} });
      sendLanguage = false;
      startTyping();
    }
  }

  function botUttered(message) {
    unanswered = null;
    if (!message || typeof message !== "object") { return; }
    if (typeof message.text === "string" && message.text) { addMessage("bot", message.text, message.quick_replies); }
    showChoices(message.quick_replies);
    botSpoke();
  }

  // ---------------------------------------------------------------- connection
  function fetchSession() {
    return fetch("/api/session", { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok) {
        var error = new Error("session " + response.status);
        error.status = response.status;
        error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
        throw error;
      }
      return response.json();
    });
  }

  function retryLater(action, atLeastMs) {
    var delay = Math.max(RETRY_MS[Math.min(retries, RETRY_MS.length - 1)], atLeastMs || 0);
    retries += 1;
    setTimeout(action, delay);
  }

  function sessionRefused(error) {
    if (error && error.status === 429) {
      setConnection("offline", T("too_many"));
      retryLater(start, Math.min(Math.max(error.retryAfter, 60), 900) * 1000);
      return;
    }
    setConnection("offline", T("unreachable_chat"));
    retryLater(start);
  }

  function sessionEnded() {
    // Cleared in another tab, deleted on request, or expired: this conversation
    // is closed for good. Keep what is on the screen; the next message starts anew.
    ended = true;
    connected = false;
    if (unanswered && !input.value) { input.value = unanswered; updateCounter(); }  // it was not processed
    unanswered = null;
    stopTyping();
    showChoices(null);
    if (socket) { socket.io.opts.reconnection = false; socket.disconnect(); }
    setConnection("ended", T("ended"));
  }

  function restart() {
    ended = false;
    greeted = false;
    retries = 0;
    if (socket) { socket.off(); socket.disconnect(); socket = null; }
    start();
  }

  function open(session) {
    var firstToken = session.token;
    maxChars = Number(session.max_message_chars) || maxChars;
    updateCounter();
    socket = io(session.socket_url, {
      transports: ["websocket"],
      reconnectionDelayMax: 10000,
      // Asked again before every reconnection: socket tokens live only minutes.
      auth: function (callback) {
        if (firstToken) { var token = firstToken; firstToken = null; callback({ token: token }); return; }
        fetchSession().then(function (fresh) { callback({ token: fresh.token }); },
                            function () { callback({}); });
      }
    });
    socket.on("connect", function () {
      connected = true;
      retries = 0;
      setConnection("connected", T("connected"));
      socket.emit("session_request", {});
    });
    socket.on("disconnect", function (reason) {
      connected = false;
      if (ended) { return; }
      setConnection("reconnecting", T("lost"));
      if (reason === "io server disconnect") { retryLater(function () { socket.connect(); }); }
    });
    socket.on("connect_error", function () {
      connected = false;
      if (ended) { return; }
      setConnection("offline", T("unreachable_assistant"));
      if (!socket.active) { retryLater(function () { socket.connect(); }); }  // refused: retry with a fresh token
    });
    socket.on("history", showHistory);
    socket.on("session_ended", sessionEnded);
    socket.on("bot_uttered", botUttered);
    socket.on("turn_end", function () { stopTyping(); showNewest(); });
    socket.on("user_echo", function (message) {  // typed in another tab of this browser
      if (message && typeof message.text === "string") { addMessage("user", message.text); showChoices(null); }
    });
  }

  function start() {
    if (typeof io !== "function") {
      setConnection("offline", T("no_script"));
      return;
    }
    fetchSession().then(open, sessionRefused);
  }

  updateCounter();
  start();
})();
