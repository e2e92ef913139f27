// Loaded in <head>, before the stylesheets and without defer: the theme the visitor picked
// (static/js/app.js saves it) is on the page before the first paint, so it never flashes
// the other one. Without a saved choice the browser's preference rules (app.css).
try {
  var theme = window.localStorage.getItem("theme");
  if (theme === "light" || theme === "dark") {
    document.documentElement.setAttribute("data-theme", theme);
  }
} catch (error) {
  // Storage refused (private mode, blocked cookies): follow the browser.
}
