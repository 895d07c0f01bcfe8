// Wharf console: the theme toggle. Everything else works without script.
(function () {
  'use strict';
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem('wharf-theme'); } catch (e) { /* storage off */ }
  if (saved === 'light' || saved === 'dark') root.dataset.theme = saved;
  function current() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  function label(btn) {
    var next = current() === 'dark' ? 'light' : 'dark';
    btn.textContent = next === 'dark' ? 'Dark theme' : 'Light theme';
    btn.setAttribute('aria-label', 'Switch to the ' + next + ' theme');
  }
  document.addEventListener('DOMContentLoaded', function () {
    var btn = document.getElementById('theme-toggle');
    if (!btn) return;
    label(btn);
    btn.addEventListener('click', function () {
      root.dataset.theme = current() === 'dark' ? 'light' : 'dark';
      try { localStorage.setItem('wharf-theme', root.dataset.theme); } catch (e) { /* storage off */ }
      label(btn);
    });
  });
})();
