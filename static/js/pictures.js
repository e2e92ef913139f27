// Pictures in the message box: choose them (on a phone, the camera is one of the choices),
// drop them on the box or paste them; each shows as a small preview with a Remove button,
// and what the server would refuse (too many, too large, not a picture) is said at once.
// They go with the message in the same form post (chat.js sends the form as it is).
// Without JavaScript the file field alone does the same.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var input = document.getElementById("images");
  var holder = document.getElementById("composer-pictures");
  if (!form || !input || !holder || !window.DataTransfer) return;
  var box = document.getElementById("message");
  var maxImages = parseInt(input.getAttribute("data-max-images"), 10) || 4;
  var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
  var accepted = (input.getAttribute("accept") || "").split(",");
  var shared = window.AutoChat || {};
  var chosen = [];

  var list = document.createElement("ul");
  list.className = "picture-previews";
  list.setAttribute("aria-label", "Pictures to send");
  holder.appendChild(list);
  var problem = document.createElement("p");
  problem.className = "form-error";
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  holder.appendChild(problem);

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  // What the server would refuse, worded as it words it.
  function refusal(file) {
    var type = (file.type || "").toLowerCase();
    var byName = /\.(jpe?g|png|webp|heic|heif)$/i.test(file.name || "");
    if (type ? accepted.indexOf(type) === -1 : !byName) {
      return (file.name || "That file") + " is not a picture this app takes (JPEG, PNG, WebP" +
        (accepted.indexOf("image/heic") !== -1 ? " or HEIC" : "") + ").";
    }
    if (maxBytes && file.size > maxBytes) {
      return file.name + " is " + megabytes(file.size) + "; the limit is " + megabytes(maxBytes) + ".";
    }
    return "";
  }

  function sync() {
    var transfer = new DataTransfer();
    chosen.forEach(function (file) {
      transfer.items.add(file);
    });
    input.files = transfer.files;
    render();
  }

  function preview(file, img) {
    // A small copy drawn on a canvas: a data: URL the page's policy allows, without
    // holding a 10 MB photo as text. A type the browser cannot draw (HEIC) shows its name.
    if (!window.createImageBitmap) return;
    window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 160 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      img.src = canvas.toDataURL("image/jpeg", 0.8);
      img.hidden = false;
      if (bitmap.close) bitmap.close();
    }, function () {
      img.remove();
    });
  }

  function render() {
    list.textContent = "";
    chosen.forEach(function (file, index) {
      var item = document.createElement("li");
      item.className = "picture-preview";
      var img = document.createElement("img");
      img.alt = file.name;
      img.hidden = true;
      item.appendChild(img);
      var name = document.createElement("span");
      name.className = "picture-name";
      name.textContent = file.name;
      item.appendChild(name);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button small";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove picture " + (index + 1) + ", " + file.name);
      remove.addEventListener("click", function () {
        chosen.splice(index, 1);
        sync();
        say("");
        if (shared.announce) shared.announce(file.name + " removed.");
        (list.querySelector("button") || box).focus();
      });
      item.appendChild(remove);
      list.appendChild(item);
      preview(file, img);
    });
    list.hidden = chosen.length === 0;
    holder.classList.toggle("has-pictures", chosen.length > 0);
  }

  function add(files) {
    var problems = [];
    Array.prototype.forEach.call(files, function (file) {
      var why = refusal(file);
      if (why) problems.push(why);
      else if (chosen.length >= maxImages) {
        problems.push("A message can carry up to " + maxImages + " pictures; " + file.name +
          " was left out.");
      } else chosen.push(file);
    });
    sync();
    say(problems.join(" "));
    if (!problems.length && shared.announce && files.length) {
      shared.announce(chosen.length + " picture" + (chosen.length === 1 ? "" : "s") + " ready to send.");
    }
  }

  // The file field itself: its choice joins the pictures already chosen.
  input.addEventListener("change", function () {
    var picked = Array.prototype.slice.call(input.files);
    input.files = new DataTransfer().files;
    add(picked);
  });

  // Dropped on the message box, or pasted into it (a screenshot, a copied photo).
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") === -1) return;
      event.preventDefault();
      form.classList.add("dropping");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () {
      form.classList.remove("dropping");
    });
  });
  form.addEventListener("drop", function (event) {
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    add(event.dataTransfer.files);
  });
  if (box) {
    box.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (files && files.length) {
        event.preventDefault();
        add(files);
      }
    });
  }

  // chat.js says when the server has stored the message: the pictures went with it.
  form.addEventListener("autochat:saved", function () {
    chosen = [];
    sync();
    say("");
  });
  // A refusal about the pictures (a model that cannot see them...) leaves them chosen.
  render();
})();
