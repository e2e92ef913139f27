// Progressive enhancement for the chat page: streamed replies, Enter to send, Stop (and
// Escape), copy buttons, the conversation drawer on a phone, the example questions, and
// announcements for screen readers. Without JavaScript (or without fetch streaming) the
// plain form post still works, and so does everything here but the copy buttons.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) return;
  var box = document.getElementById("message");
  var counter = document.getElementById("counter");
  var sendButton = document.getElementById("send");
  var stopButton = document.getElementById("stop");
  var list = document.getElementById("messages");
  var scroller = document.getElementById("scroller");
  var max = parseInt(box.getAttribute("data-max-length"), 10) || 0;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var canStream = !!(window.fetch && window.TextDecoder && window.AbortController &&
    window.ReadableStream);
  var controller = null;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // Characters as the server counts them (code points): an emoji is one, not two.
  function characters(text) {
    return Array.from ? Array.from(text).length : text.length;
  }

  function updateCounter() {
    if (!counter || !max) return;
    var used = characters(box.value);
    counter.textContent = used.toLocaleString() + " / " + max.toLocaleString();
    counter.classList.toggle("over", used > max);
  }
  box.addEventListener("input", updateCounter);

  // ------------------------------------------------------------ scrolling
  // The conversation scrolls in its own box above the message box (see app.css), so its
  // end is never under the composer. It follows new text while the reader is at the end,
  // and stays put when they scrolled up to read.
  function nearEnd() {
    if (!scroller) return true;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  }

  function scrollToEnd(force) {
    if (!scroller || (!force && !following)) return;
    scroller.scrollTop = scroller.scrollHeight;
  }
  var following = true;
  if (scroller) {
    scroller.addEventListener("scroll", function () {
      following = nearEnd();
    }, { passive: true });
  }

  // ------------------------------------------------------------ announcements
  function announce(text, urgent) {
    if (window.AutoChat) window.AutoChat.announce(text, urgent);
  }

  function excerpt(text, limit) {
    text = (text || "").replace(/\s+/g, " ").trim();
    return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
  }

  // ------------------------------------------------------------ copy buttons
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (error) {
        ok = false;
      }
      area.remove();
      if (ok) resolve();
      else reject(new Error("copy refused"));
    });
  }

  function copyButton(label, what, getText) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small copy";
    button.textContent = label;
    button.addEventListener("click", function () {
      copyText(getText()).then(function () {
        button.textContent = "Copied";
        announce(what + " copied to the clipboard.");
      }, function () {
        button.textContent = "Copy failed";
        announce("Could not copy the " + what.toLowerCase() + ".", true);
      }).then(function () {
        window.setTimeout(function () {
          button.textContent = label;
        }, 2000);
      });
    });
    return button;
  }

  // Copy buttons on each code block and each finished reply, and local times.
  function enhance(scope) {
    scope.querySelectorAll(".markdown pre.code").forEach(function (pre) {
      if (pre.parentNode.classList.contains("code-wrap")) return;
      var wrap = document.createElement("div");
      wrap.className = "code-wrap";
      var tools = document.createElement("div");
      tools.className = "code-tools";
      var lang = document.createElement("span");
      lang.textContent = pre.getAttribute("data-lang") || "Code";
      tools.appendChild(lang);
      tools.appendChild(copyButton("Copy code", "Code", function () {
        return pre.textContent.replace(/\n$/, "");
      }));
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(tools);
      wrap.appendChild(pre);
    });
    var replies = scope.matches && scope.matches(".msg-assistant") ? [scope] : [];
    replies = replies.concat(Array.prototype.slice.call(scope.querySelectorAll(".msg-assistant")));
    replies.forEach(function (reply) {
      var body = reply.querySelector(":scope > .msg-content > .msg-body, :scope > .msg-body");
      if (!body || reply.classList.contains("status-streaming") ||
        reply.querySelector(":scope > .msg-actions > .copy-button")) return;
      // The server's actions (versions, Regenerate) come first; the copy button joins them.
      var actions = reply.querySelector(":scope > .msg-actions");
      if (!actions) {
        actions = document.createElement("div");
        actions.className = "msg-actions";
        reply.appendChild(actions);
      }
      var copy = copyButton("Copy reply", "Reply", function () {
        // The code blocks' labels and buttons are the page's, not the reply's.
        body.classList.add("copying");
        var text = body.innerText.trim();
        body.classList.remove("copying");
        return text;
      });
      actions.insertBefore(copy, actions.firstChild);
    });
    if (window.AutoChat) window.AutoChat.localizeTimes(scope);
  }
  enhance(document);

  // A link to a message (#m12) or a card keeps its place; otherwise open at the end,
  // once the copy buttons are in (they add height), and again when the page has loaded.
  // The keys only do this with the script: the hint shows with it.
  var keysHint = document.getElementById("keys-hint");
  if (keysHint) keysHint.hidden = false;
  if (!window.location.hash || window.location.hash === "#end") {
    scrollToEnd(true);
    window.addEventListener("load", function () {
      if (following) scrollToEnd(true);
    });
  }

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  });

  function bubble(role, text) {
    var item = document.createElement("li");
    item.className = "msg msg-" + role + (role === "assistant" ? " status-streaming" : "");
    var meta = document.createElement("div");
    meta.className = "msg-meta";
    var who = document.createElement("span");
    who.className = "msg-who";
    who.textContent = role === "user" ? "You" : "Assistant";
    meta.appendChild(who);
    var body = document.createElement("div");
    body.className = "msg-body msg-text";
    body.setAttribute("dir", "auto");
    body.textContent = text;
    item.appendChild(meta);
    item.appendChild(body);
    list.appendChild(item);
    return item;
  }

  // role="alert" is heard at once; the assertive region is not needed as well. With
  // ``models`` (a model that cannot see pictures), a button per model that can.
  function showError(text, models) {
    var old = form.querySelector(".form-error:not(.picture-error)");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "form-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    (models || []).forEach(function (id) {
      if (!window.AutoChat || !window.AutoChat.chooseModel) return;
      var use = document.createElement("button");
      use.type = "button";
      use.className = "button small use-model";
      use.textContent = "Use " + id;
      use.addEventListener("click", function () {
        window.AutoChat.chooseModel(id);
        p.remove();
        box.focus();
      });
      p.appendChild(document.createTextNode(" "));
      p.appendChild(use);
    });
    form.insertBefore(p, box);
  }

  function showInterrupted() {
    var old = form.querySelector(".form-error");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "form-error";
    p.setAttribute("role", "alert");
    p.textContent = "The reply was interrupted. Your message is saved: ";
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = "reload the conversation";
    p.appendChild(link);
    p.appendChild(document.createTextNode(" to see what arrived and retry."));
    form.insertBefore(p, box);
  }

  function setBusy(busy) {
    sendButton.disabled = busy;
    stopButton.hidden = !busy;
    form.dataset.sending = busy ? "1" : "";
  }

  function replaceWithServerHtml(item, html) {
    // The server rendered this from the stored message: Markdown sanitized by nh3.
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var nodes = Array.prototype.slice.call(holder.content.children);
    item.replaceWith(holder.content);
    nodes.forEach(function (node) {
      // The list holds messages only: a Retry form goes below it, where the page has it.
      if (node.tagName !== "LI" && node.parentNode === list) {
        list.parentNode.insertBefore(node, list.nextSibling);
      }
      enhance(node);
    });
    return nodes;
  }

  function updateTotals(totals) {
    var el = document.getElementById("totals");
    if (!el || !totals || !totals.tokens) return;
    var cost = totals.cost ? "$" + totals.cost.toFixed(totals.cost < 0.01 ? 5 : 4) : "$0";
    el.textContent = totals.tokens.toLocaleString() + " tokens · " + cost + " so far";
  }

  function onConversation(data) {
    var hidden = form.querySelector('input[name="conversation_id"]');
    if (!hidden) {
      hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "conversation_id";
      form.appendChild(hidden);
    }
    hidden.value = data.conversation_id;
    if (window.location.pathname !== data.url) window.history.replaceState(null, "", data.url);
    addToSidebar(data);
    var titleRow = document.querySelector(".chat-title");
    if (data.actions && titleRow && !document.getElementById("conv-actions")) {
      // The new conversation's Actions menu (rename, pin, delete, export, share), rendered
      // by the server.
      var actionsTemplate = document.createElement("template");
      actionsTemplate.innerHTML = data.actions;
      titleRow.appendChild(actionsTemplate.content);
    }
  }

  // A new conversation joins the top of "Today" (its menu comes with the next page load).
  function addToSidebar(data) {
    var holder = document.getElementById("conversation-groups");
    if (!holder || document.getElementById("conv-" + data.conversation_id)) return;
    var group = holder.querySelector('.conv-group[data-group="Today"]');
    if (!group) {
      var empty = holder.querySelector("p.muted");
      if (empty) empty.remove();
      group = document.createElement("section");
      group.className = "conv-group";
      group.setAttribute("data-group", "Today");
      var label = document.createElement("h3");
      label.className = "conv-group-label";
      label.textContent = "Today";
      group.appendChild(label);
      group.appendChild(document.createElement("ul")).className = "conversation-list";
      var pinned = holder.querySelector('.conv-group[data-group="Pinned"]');
      holder.insertBefore(group, pinned ? pinned.nextSibling : holder.firstChild);
    }
    var ul = group.querySelector("ul");
    if (data.sidebar_item) {
      // Rendered by the server (the title escaped), with its Rename / Pin / Delete menu.
      var holderTemplate = document.createElement("template");
      holderTemplate.innerHTML = data.sidebar_item;
      var entry = holderTemplate.content.firstElementChild;
      if (entry) {
        ul.insertBefore(entry, ul.firstChild);
        if (window.AutoChat) window.AutoChat.localizeTimes(entry);
        var header = document.querySelector(".chat-header");
        if (header) header.setAttribute("data-conversation", data.conversation_id);
        var headingEl = document.querySelector(".chat-header h1");
        if (headingEl && data.title) headingEl.textContent = data.title;
        return;
      }
    }
    var li = document.createElement("li");
    li.className = "conv-item";
    li.id = "conv-" + data.conversation_id;
    li.setAttribute("data-updated", new Date().toISOString());
    var a = document.createElement("a");
    a.className = "conv-link";
    a.href = data.url;
    a.setAttribute("aria-current", "page");
    var title = document.createElement("span");
    title.className = "conv-title";
    title.setAttribute("dir", "auto");
    title.textContent = data.title || "New conversation";
    a.appendChild(title);
    li.appendChild(a);
    ul.insertBefore(li, ul.firstChild);
    var heading = document.querySelector(".chat-header h1");
    if (heading && data.title) heading.textContent = data.title;
  }

  function parseEvents(buffer, handle) {
    var events = buffer.split("\n\n");
    var rest = events.pop();
    events.forEach(function (raw) {
      var name = "message";
      var data = [];
      raw.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (data.length) handle(name, JSON.parse(data.join("\n")));
    });
    return rest;
  }

  // ------------------------------------------------------------ one chat turn

  // Why the message cannot be sent as it is, or "" when it can.
  function messageProblem(text, withPictures) {
    if (!text.trim() && !withPictures) return "Type a message before sending.";
    if (max && characters(text) > max) {
      return "The message is " + characters(text).toLocaleString() + " characters long; the limit is " +
        max.toLocaleString() + ". Shorten it and send again.";
    }
    return "";
  }

  // Notices about the previous turn (an error, the welcome, a Retry form) go.
  function clearNotices() {
    var old = form.querySelector(".form-error");
    if (old) old.remove();
    var welcome = document.getElementById("welcome");
    if (welcome) welcome.remove();
    var retry = document.querySelector("form.retry");
    if (retry) retry.remove();
  }

  // The form's fields, the bubbles on the page (a retry has no new question), the Stop
  // button on.
  function startTurn(text, from) {
    from = from || form;
    var data = new FormData(from);
    var mine = text === null ? null : bubble("user", text);
    var reply = bubble("assistant", "");
    var turn = {
      text: text,
      fromComposer: from === form,
      data: data,
      action: from.action,
      mine: mine,
      reply: reply,
      replyBody: reply.querySelector(".msg-body"),
      finished: false,
      saved: false, // the server confirmed it stored the message
    };
    scrollToEnd(true);
    following = true;
    setBusy(true);
    controller = new AbortController();
    return turn;
  }

  // The same form post as without JavaScript, asking for a stream of the reply.
  function postMessage(turn) {
    return fetch(turn.action, {
      method: "POST",
      body: turn.data,
      headers: { Accept: "text/event-stream", "X-CSRFToken": tokenMeta ? tokenMeta.content : "" },
      signal: controller.signal,
      credentials: "same-origin",
    });
  }

  // A refusal (not a stream) becomes an error carrying the server's sentence. An
  // expired form token comes back with a fresh one: the page takes it and sends
  // the same message again, once, without the visitor doing anything.
  function refusal(turn, response) {
    return response.json().then(function (body) {
      var error = body.error || {};
      // A refused form token (or sessions down: the new token works without them) is
      // renewed and the message sent once more, by itself.
      if ((error.kind === "csrf_failed" || error.kind === "session_store_unavailable") &&
          body.csrf_token && !turn.renewed) {
        turn.renewed = true;
        renewToken(body.csrf_token);
        turn.data.set("csrf_token", body.csrf_token);
        return postMessage(turn).then(function (again) {
          return readReply(turn, again);
        });
      }
      var refused = new Error(error.message || "The message could not be sent.");
      refused.models = error.models; // models that can see pictures, for one click
      throw refused;
    }, function () {
      // Not the app's answer: a proxy's page when no app server answered (one restarting,
      // or killed mid-reply). The message may already be saved; a resend is answered once.
      if (response.status === 502 || response.status === 504) {
        throw new Error("The server did not answer (HTTP " + response.status + "). If your " +
          "message got through, it is saved: reload the conversation to see it, or send it " +
          "again (it is never answered twice).");
      }
      throw new Error("The message could not be sent (HTTP " + response.status + ").");
    });
  }

  function renewToken(token) {
    if (window.AutoChat) window.AutoChat.renewToken(token);
  }

  // Hand each Server-Sent Event of the body to handle(name, payload) until it ends.
  function readEvents(response, handle) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), handle);
        return pump();
      });
    }
    return pump();
  }

  function readReply(turn, response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("text/event-stream") !== 0) return refusal(turn, response);
    if (turn.mine && turn.fromComposer) {
      box.value = "";
      updateCounter();
    }
    return readEvents(response, function (name, payload) {
      handleEvent(turn, name, payload);
    });
  }

  // The message is stored: the conversation exists, and the user's bubble is the
  // server's (with the fact cards decoded from it).
  function onConversationEvent(turn, payload) {
    turn.saved = true;
    // The pictures went with the message: the box lets go of them (pictures.js).
    if (turn.fromComposer) form.dispatchEvent(new CustomEvent("autochat:saved"));
    onConversation(payload);
    if (payload.html && turn.mine) replaceWithServerHtml(turn.mine, payload.html);
    scrollToEnd();
  }

  function onToolsEvent(turn, payload) {
    var note = document.createElement("p");
    note.className = "tool-note muted";
    note.textContent = "Looked up: " + payload.names.join(", ");
    turn.reply.insertBefore(note, turn.replyBody);
  }

  // A reasoning model's thoughts: kept apart from the answer, folded away.
  function onReasoningEvent(turn, payload) {
    if (!turn.thinking) {
      var details = document.createElement("details");
      details.className = "reasoning";
      var summary = document.createElement("summary");
      summary.textContent = "Thinking…";
      details.appendChild(summary);
      turn.thinking = document.createElement("div");
      turn.thinking.className = "reasoning-text";
      turn.thinking.setAttribute("dir", "auto");
      details.appendChild(turn.thinking);
      turn.reply.insertBefore(details, turn.replyBody);
    }
    turn.thinking.textContent += payload.text;
  }

  // Now and then a delta brings the server's rendering of the whole reply so far (the
  // same Markdown renderer and sanitizer as stored messages); the text that arrives
  // between two renderings goes, as plain text, after the last one.
  function onDeltaEvent(turn, payload) {
    turn.raw = (turn.raw || "") + payload.text;
    if (payload.html !== undefined) {
      turn.replyBody.classList.remove("msg-text");
      turn.replyBody.classList.add("markdown");
      turn.replyBody.innerHTML = payload.html;
      turn.tail = null;
      // The rendering drops the text's trailing space or line break: the next words
      // must not run into the last one ("rear" + "oxygen").
      turn.gap = /\n\s*\n\s*$/.test(turn.raw) ? "\n\n" : (/\s$/.test(turn.raw) ? " " : "");
      return scrollToEnd();
    }
    if (!turn.tail) {
      turn.tail = document.createElement("span");
      turn.tail.className = "stream-tail";
      var last = turn.replyBody.lastElementChild;
      // Inside the last paragraph, heading or list item the words carry on where it
      // ended, unless a blank line began a new block.
      var into = turn.replyBody;
      if (last && turn.gap !== "\n\n") {
        if (/^(P|H[1-6])$/.test(last.tagName)) into = last;
        else if (/^(UL|OL)$/.test(last.tagName)) into = last.lastElementChild || last;
      }
      turn.tail.textContent = turn.gap || "";
      into.appendChild(turn.tail);
    }
    turn.tail.textContent += payload.text;
    scrollToEnd();
  }

  // "done" and "error": the stored reply (or failure), rendered by the server.
  function onLastEvent(turn, payload, name) {
    turn.finished = true;
    var stay = following;
    if (payload.html) replaceWithServerHtml(turn.reply, payload.html);
    else turn.replyBody.textContent = payload.reply || (payload.error && payload.error.message) || "";
    updateTotals(payload.totals);
    following = stay;
    scrollToEnd();
    if (name === "error") {
      announce("The reply failed. " + excerpt(payload.error && payload.error.message, 300), true);
    } else {
      announce("The assistant replied: " + excerpt(payload.reply, 600));
    }
  }

  // The server could not stream this one: its page will show the outcome.
  function onPendingEvent(turn, payload) {
    turn.finished = true;
    window.location.assign(payload.conversation_id ? "/c/" + payload.conversation_id : "/");
  }

  var eventHandlers = {
    conversation: onConversationEvent,
    tools: onToolsEvent,
    reasoning: onReasoningEvent,
    delta: onDeltaEvent,
    done: onLastEvent,
    error: onLastEvent,
    pending: onPendingEvent,
  };

  function handleEvent(turn, name, payload) {
    if (Object.prototype.hasOwnProperty.call(eventHandlers, name)) {
      eventHandlers[name](turn, payload, name);
    }
  }

  function markStopped(reply) {
    reply.classList.remove("status-streaming");
    reply.classList.add("status-stopped");
    var badge = document.createElement("span");
    badge.className = "badge badge-stopped";
    badge.textContent = "stopped";
    reply.querySelector(".msg-meta").appendChild(badge);
    var note = document.createElement("p");
    note.className = "msg-notice muted";
    note.textContent = "Stopped before the reply was finished. The text so far is saved; reload " +
      "the conversation to see all of it and to retry.";
    reply.appendChild(note);
    enhance(reply);
    announce("Stopped. The text so far is kept.");
  }

  function failTurn(turn, error) {
    if (!turn.saved && turn.retry) {
      // Refused (or stopped) before the server took it: the page goes back as it was.
      turn.reply.remove();
      if (turn.mine) turn.mine.remove();
      turn.retry.restore();
      if (error.name !== "AbortError") showError(error.message);
      else announce("Stopped before the retry was sent.");
      return;
    }
    if (!turn.saved) {
      // Not stored: take the bubbles back and give the text back, with the same
      // idempotency key, so sending again cannot store it twice.
      turn.reply.remove();
      list.lastElementChild && list.lastElementChild.remove();
      box.value = turn.text;
      updateCounter();
      if (error.name !== "AbortError") showError(error.message, error.models);
      else announce("Stopped before the message was sent.");
      return;
    }
    if (error.name === "AbortError") {
      turn.finished = true;
      markStopped(turn.reply);
    }
  }

  function finishTurn(turn) {
    if (turn.saved && !turn.finished && turn.reply.isConnected) {
      // The stream broke off: the message is stored; the page has the rest.
      turn.reply.classList.remove("status-streaming");
      showInterrupted();
      scrollToEnd(true);
    }
    setBusy(false);
    controller = null;
    if (turn.saved && turn.fromComposer) {
      // A fresh idempotency key for the next message.
      var key = form.querySelector('input[name="client_msg_id"]');
      if (key) key.value = newKey();
    }
    // Back to the message box, unless the visitor went on to type somewhere else
    // (the search box, a rename) while the reply arrived.
    var active = document.activeElement;
    if (!active || active === document.body || form.contains(active) || list.contains(active)) {
      box.focus();
    }
  }

  // Post the turn's form, stream its reply, and put the page right however it ends.
  function runTurn(turn) {
    return postMessage(turn).then(function (response) {
      return readReply(turn, response);
    }).catch(function (error) {
      failTurn(turn, error);
    }).then(function () {
      finishTurn(turn);
    });
  }

  function send(event) {
    if (!canStream || !list) return; // plain form post
    event.preventDefault();
    if (form.dataset.sending === "1") return;
    var text = box.value;
    var pictureField = document.getElementById("images");
    var pictureCount = pictureField && pictureField.files ? pictureField.files.length : 0;
    var problem = messageProblem(text, pictureCount > 0);
    if (problem) {
      showError(problem);
      return;
    }
    clearNotices();
    var turn = startTurn(text);
    if (pictureCount) {
      var note = document.createElement("p");
      note.className = "muted picture-note";
      note.textContent = pictureCount + " picture" + (pictureCount === 1 ? "" : "s") + " sending…";
      turn.mine.appendChild(note);
    }
    runTurn(turn);
  }

  form.addEventListener("submit", send);

  // Retry streams like Send: the failed card goes (the new answer takes its place, as
  // it does in the database) and the reply streams in where it was. A retry form is
  // also added to the page after a failure, hence one listener for all of them.
  function retry(event) {
    var retryForm = event.target;
    if (!canStream || !list || !retryForm.matches || !retryForm.matches("form.retry")) return;
    event.preventDefault();
    if (form.dataset.sending === "1") return;
    var old = form.querySelector(".form-error");
    if (old) old.remove();
    // The failed (or stopped) answer makes way: a failure is replaced, a stopped answer
    // becomes the earlier version of the new one.
    var failed = list.lastElementChild;
    if (!failed || !failed.classList.contains("msg-assistant")) failed = null;
    var formPlace = { parent: retryForm.parentNode, next: retryForm.nextSibling };
    var failedNext = failed ? failed.nextSibling : null;
    if (failed) failed.remove();
    retryForm.remove();
    var turn = startTurn(null, retryForm);
    turn.retry = {
      restore: function () {
        if (failed) list.insertBefore(failed, failedNext);
        formPlace.parent.insertBefore(retryForm, formPlace.next);
      },
    };
    announce("Asking again…");
    runTurn(turn);
  }
  document.addEventListener("submit", retry);

  // Edit and Regenerate stream like Send. The question edited (or the answer redone) and
  // everything below it leave the page at once (in the database they stay, as the other
  // version) and the new version streams in their place. Refused before the server took
  // it, the page goes back as it was.
  function branch(event) {
    var from = event.target;
    if (!canStream || !list || !from.matches) return;
    var editing = from.matches("form.edit-form");
    if (!editing && !from.matches("form.regenerate")) return;
    event.preventDefault();
    if (form.dataset.sending === "1") {
      var busy = "Wait for the answer that is arriving (or press Stop), then send this.";
      if (editing) editError(from, busy);
      else announce(busy, true);
      return;
    }
    var item = from.closest("li.msg");
    if (!item || !list.contains(item)) return;
    var text = null;
    if (editing) {
      var field = from.querySelector("textarea");
      text = field.value;
      var problem = messageProblem(text);
      if (problem) {
        editError(from, problem);
        field.focus();
        return;
      }
    }
    clearNotices();
    var gone = [];
    var node = item;
    while (node) {
      var next = node.nextElementSibling;
      gone.push(node);
      node.remove();
      node = next;
    }
    var turn = startTurn(text, from);
    turn.retry = {
      restore: function () {
        gone.forEach(function (back) {
          list.appendChild(back);
        });
        if (editing) {
          var details = item.querySelector("details.edit");
          if (details) details.open = true;
        }
      },
    };
    announce(editing ? "Sending the edited question…" : "Asking for another answer…");
    runTurn(turn);
  }
  document.addEventListener("submit", branch);

  function editError(editForm, text) {
    var old = editForm.querySelector(".form-error");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "form-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    editForm.insertBefore(p, editForm.querySelector(".edit-note"));
  }

  // In an edit box Enter sends (Shift+Enter adds a line) and Escape closes it.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.closest || !field.closest("form.edit-form")) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      var editForm = field.closest("form.edit-form");
      if (editForm.requestSubmit) editForm.requestSubmit();
      else editForm.submit();
    } else if (event.key === "Escape") {
      var details = field.closest("details.edit");
      if (details) {
        event.preventDefault();
        event.stopPropagation();
        details.open = false;
        details.querySelector("summary").focus();
      }
    }
  }, true);

  // An opened edit box gets the focus, with the caret at the end.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("details.edit") || !details.open) return;
    var field = details.querySelector("textarea");
    if (field) {
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    }
  }, true);

  function stop() {
    if (controller) controller.abort();
  }
  stopButton.addEventListener("click", stop);

  // ------------------------------------------------------------ the drawer (a phone)
  var sidebar = document.getElementById("conversations");
  var opener = document.getElementById("drawer-open");
  var closer = document.getElementById("drawer-close");

  function drawerOpen() {
    return !!sidebar && sidebar.classList.contains("open");
  }

  // While the drawer is open the conversation behind it is inert: Tab stays in the
  // drawer and a screen reader does not wander behind the overlay.
  function setBehind(open) {
    var main = document.getElementById("chat");
    if (main) main.inert = open;
  }

  function setDrawer(open) {
    if (!sidebar || !opener) return;
    sidebar.classList.toggle("open", open);
    setBehind(open);
    opener.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = sidebar.querySelector("a, button");
      if (first) first.focus();
    } else {
      opener.focus();
    }
  }

  if (sidebar && opener) {
    // Without JavaScript these are links to #conversations and back (CSS :target).
    opener.setAttribute("role", "button");
    opener.setAttribute("aria-expanded", "false");
    opener.addEventListener("click", function (event) {
      event.preventDefault();
      setDrawer(!drawerOpen());
    });
    if (closer) {
      closer.setAttribute("role", "button");
      closer.addEventListener("click", function (event) {
        event.preventDefault();
        setDrawer(false);
      });
    }
    document.addEventListener("click", function (event) {
      if (drawerOpen() && !sidebar.contains(event.target) && !opener.contains(event.target)) {
        sidebar.classList.remove("open");
        setBehind(false);
        opener.setAttribute("aria-expanded", "false");
      }
    });
  }

  // Escape closes the drawer, or else stops a reply that is streaming (as Stop does).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.isComposing) return;
    if (drawerOpen()) {
      event.preventDefault();
      setDrawer(false);
    } else if (controller) {
      event.preventDefault();
      stop();
    }
  });

  // ------------------------------------------------------------ earlier messages
  // A long conversation opens at its newest messages. "Show earlier" (a plain link to
  // the page with more) fetches the page before the oldest one shown and puts it on
  // top, keeping the reader's place; scrolling to the top does the same.
  var loadingEarlier = false;

  function loadEarlier(link) {
    if (loadingEarlier || !link || !window.fetch) return false;
    loadingEarlier = true;
    link.setAttribute("aria-busy", "true");
    return fetch(link.getAttribute("data-url"), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      var holder = document.createElement("template");
      holder.innerHTML = body.html; // rendered and sanitized by the server
      var items = Array.prototype.slice.call(holder.content.querySelectorAll("ol.messages-page > li"));
      var next = holder.content.querySelector("#earlier");
      var fromBottom = scroller ? scroller.scrollHeight - scroller.scrollTop : 0;
      var first = list.firstElementChild;
      items.forEach(function (item) {
        list.insertBefore(item, first);
        enhance(item);
      });
      var old = document.getElementById("earlier");
      if (old) {
        if (next) old.replaceWith(next);
        else old.remove();
      }
      if (scroller) scroller.scrollTop = scroller.scrollHeight - fromBottom;
      if (next) watchEarlier(next.querySelector("a"));
      announce(body.count + " earlier message" + (body.count === 1 ? "" : "s") + " shown.");
    }).catch(function () {
      // The plain link still works: follow it.
      window.location.assign(link.href);
    }).then(function () {
      loadingEarlier = false;
      link.removeAttribute("aria-busy");
    });
  }

  var earlierObserver = null;
  function watchEarlier(link) {
    if (!link) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      loadEarlier(link);
    });
    if (!window.IntersectionObserver || !scroller) return;
    if (earlierObserver) earlierObserver.disconnect();
    earlierObserver = new IntersectionObserver(function (entries) {
      // Only when the reader scrolled up to it, not while the page opens at the end.
      if (entries[0].isIntersecting && !following) loadEarlier(link);
    }, { root: scroller, rootMargin: "200px 0px 0px 0px" });
    earlierObserver.observe(link);
  }
  var earlierBlock = document.getElementById("earlier");
  if (earlierBlock) watchEarlier(earlierBlock.querySelector("a"));

  // ------------------------------------------------------------ example questions
  // Without JavaScript each is a small form that sends it; here it fills the box.
  document.querySelectorAll("form.example").forEach(function (example) {
    example.addEventListener("submit", function (event) {
      event.preventDefault();
      var field = example.querySelector('input[name="message"]');
      box.value = field ? field.value : "";
      updateCounter();
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  });

  updateCounter();
})();
