// AgentNexus progressive enhancement. Every page works without this file;
// it only adds loading states, copy buttons and confirmations. Loaded with
// `defer` from /static (CSP: script-src 'self', no inline scripts).
(function () {
  'use strict';

  // Loading state on slow actions: disable the pressed button, show a
  // spinner, and prevent double submits.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-loading')) return;
    var btn = ev.submitter || form.querySelector('button[type=submit]');
    if (form.dataset.submitting === '1') { ev.preventDefault(); return; }
    form.dataset.submitting = '1';
    if (btn) {
      // Keep the pressed button's name/value and formaction in the submission.
      window.setTimeout(function () { btn.disabled = true; btn.classList.add('is-loading'); }, 0);
    }
  });

  // Confirmation for destructive actions: <form data-confirm="text">.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      delete form.dataset.submitting;
    }
  }, true);

  // Copy buttons: <button data-copy="#id">.
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest && ev.target.closest('[data-copy]');
    if (!btn) return;
    var src = document.querySelector(btn.getAttribute('data-copy'));
    if (!src || !navigator.clipboard) return;
    navigator.clipboard.writeText(src.textContent.trim()).then(function () {
      var old = btn.textContent;
      btn.textContent = 'Copied';
      window.setTimeout(function () { btn.textContent = old; }, 1500);
    });
  });

  // Filters: submit a <select data-autosubmit> when it changes.
  document.addEventListener('change', function (ev) {
    var el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute('data-autosubmit') && el.form) el.form.requestSubmit();
  });

  // Export progress: <div data-poll="/url" data-poll-done="/download">
  // polls a JSON status {percent, done} and follows the link when done.
  document.querySelectorAll('[data-poll]').forEach(function (el) {
    var bar = el.querySelector('.progress > span');
    var label = el.querySelector('[data-poll-label]');
    function tick() {
      fetch(el.getAttribute('data-poll'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (bar) bar.style.width = (s.percent || 0) + '%';
          if (label) label.textContent = s.message || (s.percent || 0) + '%';
          if (s.done && s.download_url) { window.location.href = s.download_url; return; }
          if (!s.failed) window.setTimeout(tick, 1000);
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    tick();
  });
})();
