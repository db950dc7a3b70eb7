// accord.js: the little behaviour Accord adds on top of htmx. Loaded as a
// file (the CSP allows no inline script) and safe with allowEval off. Every
// page and form still works without it.
(function () {
  'use strict';

  // (a) After an htmx swap, put keyboard and screen-reader users somewhere
  // sensible: the first [data-autofocus] element (say, the first invalid field
  // of a 422 form), else the alert or flash message the response carries.
  // htmx fires afterSettle once per settled element (main target and any
  // out-of-band ones) in one synchronous loop, so we gather them and decide
  // once, in a microtask, after the whole batch has settled.
  var settled = [];

  function find(roots, selector) {
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      if (!root.isConnected) continue;
      if (root.matches(selector)) return root;
      var hit = root.querySelector(selector);
      if (hit) return hit;
    }
    return null;
  }

  document.addEventListener('htmx:afterSettle', function (evt) {
    if (!(evt.target instanceof Element)) return;
    if (settled.push(evt.target) > 1) return; // a microtask is already queued
    queueMicrotask(function () {
      var roots = settled;
      settled = [];
      var el = find(roots, '[data-autofocus]') || find(roots, '[role=alert], .flash');
      if (!el) return;
      // A message is not focusable by itself; tabindex -1 makes it a focus
      // target without adding it to the tab order.
      if (el.tabIndex < 0 && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
      el.focus();
    });
  });

  // (b) Send the CSRF token with every htmx request. It is read at request
  // time, so a page whose <meta> is replaced keeps working.
  document.addEventListener('htmx:configRequest', function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) evt.detail.headers['X-CSRF-Token'] = meta.getAttribute('content');
  });

  // (c) <form data-confirm="…"> (or a submit button with data-confirm) asks
  // before submitting. The listener runs in the capture phase on document, so
  // it sees the submit before htmx's own listener on the form; stopping the
  // event there stops both the plain submission and the htmx request.
  document.addEventListener('submit', function (evt) {
    var form = evt.target;
    var btn = evt.submitter;
    var text = (btn && btn.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
    if (text && !window.confirm(text)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);
  // (d) Below 600 px a table is a list of labelled rows (accord.css): each
  // cell shows its column's name from data-label. Templates set it; for a
  // cell left without one, copy the column header's text in, on load and
  // after each htmx swap.
  function labelCells(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll('table.data, table.stack') : [];
    for (var i = 0; i < tables.length; i++) {
      var heads = tables[i].querySelectorAll('thead th');
      if (!heads.length) continue;
      var rows = tables[i].querySelectorAll('tbody tr');
      for (var r = 0; r < rows.length; r++) {
        var col = 0;
        for (var c = 0; c < rows[r].cells.length; c++) {
          var cell = rows[r].cells[c];
          var head = heads[col];
          col += cell.colSpan || 1;
          if (!head || cell.hasAttribute('data-label')) continue;
          var text = head.textContent.replace(/\s+/g, ' ').trim();
          if (text) cell.setAttribute('data-label', text);
        }
      }
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { labelCells(document); });
  } else {
    labelCells(document);
  }
  document.addEventListener('htmx:afterSettle', function (evt) {
    if (evt.target instanceof Element) labelCells(evt.target.parentNode || evt.target);
  });

  // (e) The sign-up form shows the guardian's fields (#guardian-fields) as
  // soon as the birth date typed is under the age of digital consent
  // (data-consent-age). Without JavaScript the server's 422 asks for them.
  function showGuardian(evt) {
    var el = evt.target;
    if (!(el instanceof HTMLInputElement) || el.name !== 'birth_date' || !el.form) return;
    var box = el.form.querySelector('#guardian-fields');
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(el.value);
    if (!box || !m) return;
    var now = new Date();
    var age = now.getFullYear() - Number(m[1]);
    var month = now.getMonth() + 1;
    if (month < Number(m[2]) || (month === Number(m[2]) && now.getDate() < Number(m[3]))) age--;
    box.hidden = !(age >= 0 && age < Number(box.getAttribute('data-consent-age')));
  }
  document.addEventListener('input', showGuardian);
  document.addEventListener('change', showGuardian);

  // (f) After an action, the server redirects to the anchor of what was
  // acted on (/profile/policies#agreement-12): the browser scrolls there by
  // itself; focus it too (it carries tabindex -1), so the keyboard goes on
  // from it, and have it described by the flash saying what changed.
  function focusAnchor() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el || !el.hasAttribute('tabindex')) return;
    var flash = document.querySelector('main > .flash');
    if (flash) {
      if (!flash.id) flash.id = 'flash';
      el.setAttribute('aria-describedby', flash.id);
    }
    el.focus();
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', focusAnchor);
  } else {
    focusAnchor();
  }
})();
