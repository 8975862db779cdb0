// The pages' small enhancements; every page is complete without them. No inline code: the
// Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";

  // "3 min ago", as the server says it (portal/pages/filters.py: ago).
  function ago(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 2) return "just now";
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) {
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      return m ? h + " h " + m + " min ago" : h + " h ago";
    }
    var d = Math.floor(s / 86400);
    return d === 1 ? "1 day ago" : d + " days ago";
  }

  function refreshAges() {
    var now = Date.now();
    document.querySelectorAll(".age[data-since]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(t)) el.textContent = "(" + ago((now - t) / 1000) + ")";
    });
  }

  // Copy buttons are hidden without JavaScript (the value itself can be selected and copied).
  function showCopyButtons(root) {
    if (!navigator.clipboard) return;
    (root || document).querySelectorAll("button.copy[hidden]").forEach(function (b) {
      b.hidden = false;
      b.setAttribute("aria-label", "Copy " + b.getAttribute("data-copy"));
    });
  }

  // A table's or chart's scrolling region is a tab stop only while it scrolls (the pages serve it focusable, so
  // that without JavaScript the keyboard can always scroll it).
  function scrollRegions() {
    document.querySelectorAll(".table-scroll, .chart-frame").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) el.setAttribute("tabindex", "0");
      else el.removeAttribute("tabindex");
    });
  }

  // On a phone the navigation is one row that scrolls sideways: bring the current page's link into it.
  function showCurrentNav() {
    var current = document.querySelector(".site nav [aria-current=page]");
    if (current) current.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy");
    if (!button) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      button.textContent = "copied";
      button.classList.add("copied");
      setTimeout(function () { button.textContent = "copy"; button.classList.remove("copied"); }, 1500);
    });
  });

  function ready() {
    showCopyButtons(document);
    refreshAges();
    scrollRegions();
    showCurrentNav();
  }
  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:load", function (event) { showCopyButtons(event.target); refreshAges(); scrollRegions(); });
  window.addEventListener("resize", scrollRegions);
  setInterval(refreshAges, 10000);
})();
