/* Runs in <head> before the first paint: applies the theme the reader chose (light or
   dark), so a stored choice never flashes the other one. No choice: the system's. */
try {
  var theme = localStorage.getItem("akhbar-theme");
  if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
} catch (e) { /* storage disabled: follow the system */ }
