// The conversation list and its actions, enhanced: rename in place, delete after asking
// (with Undo for a few seconds), older conversations fetched into the list, and the
// groups (Today, Yesterday...) in the visitor's own time zone. Without JavaScript every
// action is a plain form or link and still works.
(function () {
  "use strict";
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var shared = window.AutoChat || {};

  function announce(text, urgent) {
    if (shared.announce) shared.announce(text, urgent);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: JSON.stringify(body || {}),
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": tokenMeta ? tokenMeta.content : "",
      },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () {
        return {};
      }).then(function (data) {
        if (!response.ok) {
          var error = (data && data.error) || {};
          if (error.kind === "csrf_failed" && data.csrf_token && shared.renewToken) {
            shared.renewToken(data.csrf_token);
          }
          throw new Error(error.message || "That did not work (HTTP " + response.status + ").");
        }
        return data;
      });
    });
  }

  // ------------------------------------------------------------ the visitor's day
  // The server groups by the time zone this cookie names (UTC until it is set); here
  // the groups follow the browser's own zone at once.
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    zone = "";
  }
  if (/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone) && document.cookie.indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }

  var ORDER = ["Pinned", "Today", "Yesterday", "Last 7 days", "Older"];

  function groupOf(item, today) {
    if (item.getAttribute("data-pinned")) return "Pinned";
    var when = new Date(item.getAttribute("data-updated"));
    if (isNaN(when.getTime())) return "Older";
    var day = new Date(when.getFullYear(), when.getMonth(), when.getDate());
    var age = Math.round((today - day) / 86400000);
    if (age <= 0) return "Today";
    if (age === 1) return "Yesterday";
    if (age < 7) return "Last 7 days";
    return "Older";
  }

  function section(holder, label) {
    var found = holder.querySelector('.conv-group[data-group="' + label + '"]');
    if (found) return found;
    found = document.createElement("section");
    found.className = "conv-group";
    found.setAttribute("data-group", label);
    var heading = document.createElement("h3");
    heading.className = "conv-group-label";
    heading.textContent = label;
    var ul = document.createElement("ul");
    ul.className = "conversation-list";
    found.appendChild(heading);
    found.appendChild(ul);
    var after = null;
    ORDER.slice(ORDER.indexOf(label) + 1).some(function (later) {
      after = holder.querySelector('.conv-group[data-group="' + later + '"]');
      return !!after;
    });
    holder.insertBefore(found, after);
    return found;
  }

  // Items keep their order (newest first); each moves to the group of its local day.
  function regroup(holder, items) {
    var now = new Date();
    var today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    items.forEach(function (item) {
      var label = groupOf(item, today);
      var current = item.closest(".conv-group");
      if (current && current.getAttribute("data-group") === label && current.parentNode === holder) {
        return;
      }
      section(holder, label).querySelector("ul").appendChild(item);
    });
    holder.querySelectorAll(".conv-group").forEach(function (group) {
      if (!group.querySelector("li")) group.remove();
    });
  }

  document.querySelectorAll(".conversation-groups").forEach(function (holder) {
    regroup(holder, Array.prototype.slice.call(holder.querySelectorAll("li.conv-item")));
  });

  // ------------------------------------------------------------ older conversations
  var more = document.getElementById("more-conversations");
  var groupsHolder = document.getElementById("conversation-groups");
  function loadMore(link) {
    if (link.getAttribute("aria-busy")) return;
    link.setAttribute("aria-busy", "true");
    fetch(link.getAttribute("data-url"), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      var holder = document.createElement("template");
      holder.innerHTML = body.html; // rendered by the server, titles escaped
      var items = Array.prototype.slice.call(holder.content.querySelectorAll("li.conv-item"));
      items = items.filter(function (item) {
        return !document.getElementById(item.id);
      });
      // The list is the same for every page it is fetched from: the open conversation,
      // when it is among these, is marked here.
      var header = document.querySelector(".chat-header[data-conversation]");
      var openId = header ? "conv-" + header.getAttribute("data-conversation") : null;
      items.forEach(function (item) {
        var openLink = item.id === openId && item.querySelector("a.conv-link");
        if (openLink) openLink.setAttribute("aria-current", "page");
      });
      regroup(groupsHolder, items);
      if (shared.localizeTimes) shared.localizeTimes(groupsHolder);
      if (body.next_url) {
        link.setAttribute("data-url", body.next_url);
        link.href = body.next_url;
        link.removeAttribute("aria-busy");
      } else {
        // The button goes: the keyboard lands on the first conversation it brought.
        var first = items.length ? items[0].querySelector("a.conv-link") : null;
        var hadFocus = more.contains(document.activeElement);
        more.remove();
        if (first && hadFocus) first.focus();
      }
      announce(body.count + " older conversation" + (body.count === 1 ? "" : "s") + " shown.");
    }).catch(function () {
      window.location.assign(link.href);
    });
  }
  if (more && groupsHolder) {
    var moreLink = more.querySelector("a");
    moreLink.addEventListener("click", function (event) {
      event.preventDefault();
      loadMore(moreLink);
    });
  }

  // ------------------------------------------------------------ rename in place
  function fieldError(formEl, text) {
    var old = formEl.querySelector(".form-error");
    if (old) old.remove();
    var input = formEl.querySelector('input[name="title"]');
    if (!text) {
      input.removeAttribute("aria-invalid");
      return;
    }
    var p = document.createElement("p");
    p.className = "form-error";
    p.setAttribute("role", "alert");
    p.id = input.id + "-error";
    p.textContent = text;
    formEl.appendChild(p);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", p.id);
  }

  function showTitle(id, title) {
    document.querySelectorAll("#conv-" + id + " .conv-title").forEach(function (span) {
      span.textContent = title;
    });
    document.querySelectorAll("#conv-" + id + " .item-menu > summary .visually-hidden")
      .forEach(function (label) {
        label.textContent = "Actions for " + title;
      });
    document.querySelectorAll('form.rename-form[data-conversation="' + id + '"] input[name="title"]')
      .forEach(function (input) {
        input.value = title;
      });
    document.querySelectorAll('[data-conversation="' + id + '"].delete-link').forEach(function (a) {
      a.setAttribute("data-title", title);
    });
    var current = document.querySelector('.chat-header[data-conversation="' + id + '"] h1');
    if (current) {
      current.textContent = title;
      document.title = title + " · Automotive Chat Assistant";
    }
  }

  document.addEventListener("submit", function (event) {
    var formEl = event.target;
    if (!formEl.matches || !formEl.matches("form.rename-form") || !window.fetch) return;
    event.preventDefault();
    var input = formEl.querySelector('input[name="title"]');
    var title = input.value.replace(/\s+/g, " ").trim();
    if (!title) {
      fieldError(formEl, "A conversation needs a name: type at least one letter or digit.");
      input.focus();
      return;
    }
    var id = formEl.getAttribute("data-conversation");
    post(formEl.action, { title: title }).then(function (body) {
      fieldError(formEl, "");
      showTitle(id, body.title);
      var menu = formEl.closest("details");
      if (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
      announce("Renamed to " + body.title + ".");
    }, function (error) {
      fieldError(formEl, error.message);
      input.focus();
    });
  });

  // Escape closes an open menu and gives focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("details.item-menu[open], details.conv-actions[open]");
    if (open) {
      event.preventDefault();
      event.stopPropagation();
      open.open = false;
      open.querySelector("summary").focus();
    }
  }, true);

  // ------------------------------------------------------------ delete, then Undo
  var dialog = null;
  var pending = null; // the link whose Delete is being confirmed

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-delete-title");
    dialog.innerHTML =
      '<h2 id="confirm-delete-title">Delete this conversation?</h2>' +
      '<p class="confirm-text"></p>' +
      '<div class="buttons"><button type="button" class="button" value="cancel">Cancel</button>' +
      '<button type="button" class="button danger" value="delete">Delete</button></div>';
    document.body.appendChild(dialog);
    dialog.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.value === "delete") confirmDelete();
      else dialog.close();
    });
    dialog.addEventListener("close", function () {
      if (pending && pending.isConnected) {
        var summary = pending.closest("details") && pending.closest("details").querySelector("summary");
        if (summary) summary.focus();
      }
    });
  }

  function askToDelete(link) {
    if (!dialog) buildDialog();
    pending = link;
    var menu = link.closest("details");
    if (menu) menu.open = false;
    dialog.querySelector(".confirm-text").textContent =
      "“" + link.getAttribute("data-title") + "” and its messages will be removed from the " +
      "database. You can undo it for a few seconds.";
    dialog.showModal();
    dialog.querySelector('button[value="cancel"]').focus();
  }

  var toast = null;
  var toastTimer = null;
  function showUndo(item, place, body) {
    toastBox();
    var text = document.createElement("span");
    text.textContent = "Deleted “" + body.title + "”. ";
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "button";
    undo.textContent = "Undo";
    toast.appendChild(text);
    toast.appendChild(undo);
    toast.hidden = false;
    undo.addEventListener("click", function () {
      undo.disabled = true;
      post(body.undo_url).then(function () {
        if (place.group && !place.group.isConnected && place.holder) {
          place.holder.insertBefore(place.group, place.groupNext && place.groupNext.parentNode === place.holder ? place.groupNext : null);
        }
        if (item && place.parent && place.parent.isConnected) {
          place.parent.insertBefore(item, place.next && place.next.parentNode === place.parent ? place.next : null);
        } else if (item && groupsHolder) {
          regroup(groupsHolder, [item]);
        }
        toast.hidden = true;
        announce("Restored “" + body.title + "”.");
      }, function (error) {
        text.textContent = error.message + " ";
        undo.remove();
      });
    });
    toastTimer = window.setTimeout(function () {
      toast.hidden = true;
    }, (body.undo_seconds || 10) * 1000);
    undo.focus();
  }

  function toastBox() {
    if (!toast) {
      toast = document.createElement("div");
      toast.className = "toast";
      toast.setAttribute("role", "status");
      document.body.appendChild(toast);
    }
    window.clearTimeout(toastTimer);
    toast.textContent = "";
    toast.hidden = false;
    return toast;
  }

  function showProblem(text) {
    var box = toastBox();
    box.textContent = text;
    toastTimer = window.setTimeout(function () {
      box.hidden = true;
    }, 8000);
    announce(text, true);
  }

  function confirmDelete() {
    var link = pending;
    dialog.close();
    if (!link) return;
    var id = link.getAttribute("data-conversation");
    var current = document.querySelector('.chat-header[data-conversation="' + id + '"]');
    post(link.getAttribute("data-url")).then(function (body) {
      if (current) {
        // The page shows a conversation that is no more: the chat page offers Undo.
        window.location.assign("/?deleted=" + encodeURIComponent(id));
        return;
      }
      var item = document.getElementById("conv-" + id);
      var place = item ? { parent: item.parentNode, next: item.nextSibling } : {};
      var group = item ? item.closest(".conv-group") : null;
      if (item) item.remove();
      if (group && !group.querySelector("li")) {
        place.group = group;
        place.groupNext = group.nextSibling;
        place.holder = group.parentNode;
        group.remove();
      }
      announce("Deleted “" + body.title + "”.");
      showUndo(item, place, body);
    }, function (error) {
      showProblem(error.message);
    });
  }

  if (window.HTMLDialogElement && window.fetch) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a.delete-link");
      if (!link) return;
      event.preventDefault();
      askToDelete(link);
    });
  }

  // ------------------------------------------------------------ menus
  // A click anywhere else closes an open menu (Escape does too, above).
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.item-menu[open], details.conv-actions[open]")
      .forEach(function (menu) {
        if (!menu.contains(event.target)) menu.open = false;
      });
  });

  // ------------------------------------------------------------ Undo's few seconds
  // The notice on the page a Delete led to says when Undo is over, instead of offering
  // a button that can only answer "too late".
  var notice = document.querySelector(".undo-notice[data-seconds]");
  if (notice) {
    window.setTimeout(function () {
      if (!notice.isConnected) return;
      notice.textContent = "";
      var done = document.createElement("span");
      done.textContent = "The conversation has been deleted for good.";
      notice.appendChild(done);
    }, Math.max(0, parseInt(notice.getAttribute("data-seconds"), 10) || 0) * 1000);
  }
})();
