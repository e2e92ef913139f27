// The model menu in the chat header: search the catalog, keep to free models, and choose
// the model for the next message without leaving the page (a draft in the box stays).
// The list is fetched when the menu first opens, so the chat page itself stays light.
// Without JavaScript (or fetch) the menu's form leads to /settings/model and back.
(function () {
  "use strict";
  var menu = document.getElementById("model-menu");
  var form = document.getElementById("model-menu-search");
  if (!menu || !form || !window.fetch) return;
  var summary = menu.querySelector("summary");
  var panel = document.getElementById("model-menu-panel");
  var search = document.getElementById("model-menu-q");
  var freeOnly = document.getElementById("model-menu-free");
  var findButton = document.getElementById("model-menu-find");
  var currentCode = document.getElementById("current-model");
  var currentFacts = document.getElementById("current-model-facts");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!summary || !panel || !search || !freeOnly || !findButton) return;
  var address = form.getAttribute("action");
  var current = currentCode ? currentCode.textContent.trim() : "";
  var options = []; // {model, item, text}, in the server's order (free first, then by name)
  var loading = null;
  var choosing = false;
  var errorBox = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function announce(text) {
    if (window.AutoChat) window.AutoChat.announce(text);
  }

  // ------------------------------------------------------------ the panel
  // The search box and the Free only box stay the form's own; the list and its count are
  // added below them. The form's button is only needed to reach the page without this.
  var status = element("p", "muted model-menu-status");
  status.id = "model-menu-status";
  status.setAttribute("role", "status");
  var list = element("ul", "model-menu-list");
  list.id = "model-menu-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Models");
  list.hidden = true;
  panel.appendChild(status);
  panel.appendChild(list);
  findButton.hidden = true;
  search.setAttribute("aria-controls", list.id);
  search.setAttribute("aria-describedby", status.id);

  function showError(text) {
    clearError();
    // Added (not filled in) so screen readers read it at once (role=alert).
    errorBox = element("p", "form-error model-menu-error", text);
    errorBox.setAttribute("role", "alert");
    panel.insertBefore(errorBox, status);
  }

  function clearError() {
    if (errorBox) errorBox.remove();
    errorBox = null;
  }

  function optionFor(model, index) {
    var item = element("li", "model-option");
    item.id = "model-option-" + index;
    item.setAttribute("role", "option");
    item.tabIndex = -1;
    var head = element("span", "model-option-head");
    head.appendChild(element("span", "model-option-name", model.name));
    if (model.is_free) head.appendChild(element("span", "badge badge-free", "free"));
    head.appendChild(element("span", "model-option-current", "current"));
    item.appendChild(head);
    item.appendChild(element("code", "model-id", model.id));
    var facts = model.facts;
    if (facts) item.appendChild(element("span", "model-option-facts", facts));
    item.addEventListener("click", function () {
      choose(model);
    });
    return { model: model, item: item, text: (model.id + " " + model.name).toLowerCase() };
  }

  function render(models) {
    list.textContent = "";
    options = models.map(optionFor);
    options.forEach(function (option) {
      list.appendChild(option.item);
    });
    list.hidden = false;
    markCurrent();
    filter(false);
  }

  function markCurrent() {
    options.forEach(function (option) {
      option.item.setAttribute("aria-selected", option.model.id === current ? "true" : "false");
    });
  }

  function visible() {
    return options.filter(function (option) {
      return !option.item.hidden;
    });
  }

  var countTimer = null;
  // typing: true while the visitor types, when the count waits for a pause.
  function filter(typing) {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    options.forEach(function (option) {
      option.item.hidden = !((!freeOnly.checked || option.model.is_free) &&
        words.every(function (word) { return option.text.indexOf(word) !== -1; }));
    });
    var shown = visible();
    rove(shown.filter(function (option) { return option.model.id === current; })[0] || shown[0]);
    // While typing, the count is read after a pause, not after every letter.
    window.clearTimeout(countTimer);
    function count() {
      status.textContent = shown.length
        ? shown.length + " of " + options.length + " models shown."
        : "No model matches.";
    }
    if (typing === true) countTimer = window.setTimeout(count, 300);
    else count();
  }

  // One option at a time is in the Tab order (a roving tab stop).
  function rove(target) {
    options.forEach(function (option) {
      option.item.tabIndex = option === target ? 0 : -1;
    });
  }

  function focusOption(option) {
    if (!option) return;
    rove(option);
    option.item.focus();
  }

  function load() {
    if (options.length) return Promise.resolve();
    if (loading) return loading;
    status.textContent = "Loading the models…";
    clearError();
    loading = fetch(address, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        current = body.current || current;
        render(body.models || []);
      }, function (error) {
        status.textContent = "";
        // The page without the script still works: offer its button.
        findButton.hidden = false;
        showError("The model list could not be loaded (" + (error.message || "no answer") +
          "). Show models opens it on its own page.");
      })
      .then(function () {
        loading = null;
      });
    return loading;
  }

  function close(refocus) {
    menu.open = false;
    if (refocus) summary.focus();
  }

  // ------------------------------------------------------------ choosing
  function renewToken(token) {
    if (window.AutoChat) window.AutoChat.renewToken(token);
  }

  function post(model) {
    return fetch(address, {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": tokenMeta ? tokenMeta.content : "",
      },
      body: JSON.stringify({ model: model.id }),
      credentials: "same-origin",
    });
  }

  function choose(model) {
    if (choosing) return;
    if (model.id === current) {
      close(true);
      return;
    }
    choosing = true;
    clearError();
    list.setAttribute("aria-busy", "true");
    var renewed = false;
    function attempt() {
      return post(model).then(function (response) {
        return response.json().catch(function () {
          throw new Error("The model could not be changed (HTTP " + response.status + ").");
        }).then(function (body) {
          var error = body.error || {};
          // An expired form token comes back with a fresh one: use it, once.
          if (error.kind === "csrf_failed" && body.csrf_token && !renewed) {
            renewed = true;
            renewToken(body.csrf_token);
            return attempt();
          }
          if (!response.ok) throw new Error(error.message || "The model could not be changed.");
          return body;
        });
      });
    }
    attempt().then(function (body) {
      current = body.model;
      if (currentCode) currentCode.textContent = body.model;
      if (currentFacts) currentFacts.textContent = body.summary.facts;
      markCurrent();
      close(true);
      announce("Model changed to " + body.model + "; it answers your next message.");
    }, function (error) {
      var text = error instanceof TypeError
        ? "The server did not answer, so the model was not changed."
        : error.message;
      showError(text + " The model is still " + current + ".");
    }).then(function () {
      choosing = false;
      list.removeAttribute("aria-busy");
    });
  }

  // ------------------------------------------------------------ events
  menu.addEventListener("toggle", function () {
    if (!menu.open) return;
    load();
    // On a touch screen the keyboard would cover the list: typing waits for a tap.
    if (!window.matchMedia("(pointer: coarse)").matches) search.focus();
  });

  search.addEventListener("input", function () {
    filter(true);
  });
  freeOnly.addEventListener("change", function () {
    filter(false);
  });
  form.addEventListener("submit", function (event) {
    // With the list here, Enter in the search box goes to the first match.
    if (!options.length) return;
    event.preventDefault();
    focusOption(visible()[0]);
  });

  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      focusOption(visible()[0]);
    }
  });

  list.addEventListener("keydown", function (event) {
    var shown = visible();
    var at = shown.map(function (option) { return option.item; }).indexOf(event.target);
    if (at === -1) return;
    var key = event.key;
    if (key === "ArrowDown" || key === "ArrowUp" || key === "Home" || key === "End" ||
      key === "PageDown" || key === "PageUp") {
      event.preventDefault();
      if (key === "ArrowUp" && at === 0) {
        search.focus();
        return;
      }
      var next = {
        ArrowDown: Math.min(at + 1, shown.length - 1),
        ArrowUp: at - 1,
        Home: 0,
        End: shown.length - 1,
        PageDown: Math.min(at + 10, shown.length - 1),
        PageUp: Math.max(at - 10, 0),
      }[key];
      focusOption(shown[next]);
    } else if (key === "Enter" || key === " ") {
      event.preventDefault();
      choose(shown[at].model);
    } else if (key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // Typing on the list searches, as it would in the box.
      search.focus();
    }
  });

  // Escape closes the menu first. Caught on the way down (capture, on window), so the
  // chat page's own Escape (stop a streaming reply, close the drawer) does not also run.
  window.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.isComposing || !menu.open) return;
    event.preventDefault();
    event.stopPropagation();
    close(true);
  }, true);

  // A click elsewhere closes it, as a menu does.
  document.addEventListener("click", function (event) {
    if (menu.open && !menu.contains(event.target)) close(false);
  });
  // The chat page offers "Use <model>" when a model cannot see a picture: the same choice.
  if (window.AutoChat) {
    window.AutoChat.chooseModel = function (id) {
      choose({ id: id });
    };
  }
})();
