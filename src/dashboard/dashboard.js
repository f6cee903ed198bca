// license-shift status page: plain browser JavaScript, no build step, no external resources.
// Every value from the API is inserted as text (never as HTML): UPNs and reasons come from the tenant.
(function () {
  'use strict';

  var params = new URLSearchParams(window.location.search);
  // Every 3 s by default; ?refresh=<ms> (at least 250) for a wall screen or a test.
  var REFRESH_MS = Math.max(250, Number(params.get('refresh')) || 3000);
  // The finished statuses come from the server's one list (src/domain/status.ts), inlined by page.ts.
  var FINISHED = JSON.parse(document.getElementById('vocabulary').textContent).finished;
  var STATUS_CLASS = {
    completed: 'good',
    completedWithErrors: 'bad',
    needsAttention: 'bad',
    failed: 'bad',
    cancelled: 'bad',
    rejected: 'bad',
    awaitingApproval: 'waiting',
    waitingForLicenses: 'waiting',
    paused: 'waiting',
    finished: 'good',
  };
  // The page may be opened with ?code=<function key>; every API call carries it on.
  var functionKey = params.get('code');
  var busy = false;

  function apiUrl(path) {
    var url = new URL(path, window.location.origin);
    if (functionKey) url.searchParams.set('code', functionKey);
    return url.pathname + url.search;
  }

  function api(path, options) {
    return fetch(apiUrl(path), options).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        throw new Error('Not authorised: open this page with ?code=<function key> (see docs/monitoring.md).');
      }
      if (!response.ok) {
        return response.text().then(function (text) {
          var detail = text;
          try {
            detail = JSON.parse(text).detail || text;
          } catch {
            // not JSON: show the text as is
          }
          throw new Error(response.status + ' ' + response.statusText + ': ' + detail);
        });
      }
      return response.status === 204 ? null : response.json();
    });
  }

  function el(tag, attributes) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(name, value === true ? '' : String(value));
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function when(iso) {
    if (!iso) return '';
    var date = new Date(iso);
    return isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  function duration(seconds) {
    if (seconds === undefined || seconds === null) return '';
    if (seconds < 90) return Math.round(seconds) + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }

  function statusBadge(status) {
    return el('span', { class: 'status ' + (STATUS_CLASS[status] || 'running'), text: status });
  }

  function act(id, action) {
    if (action === 'cancel' && !window.confirm('Cancel migration ' + id + '? It stops before the next batch.')) return;
    var body = {};
    if (action === 'reject') {
      var reason = window.prompt('Why reject migration ' + id + '?', '');
      if (reason === null) return;
      body.reason = reason;
    }
    busy = true;
    api('/api/migrations/' + encodeURIComponent(id) + '/' + action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
      .then(refresh, showError)
      .then(function () {
        busy = false;
      });
  }

  function actionButton(id, action, label, secondary) {
    return el('button', {
      type: 'button',
      class: secondary ? 'secondary' : undefined,
      'data-action': action,
      text: label,
      onclick: function (event) {
        event.target.disabled = true;
        act(id, action);
      },
    });
  }

  function migrationCard(m) {
    var counts = m.counts || {};
    var finished = FINISHED.indexOf(m.status) >= 0;
    var card = el(
      'article',
      { class: 'card migration', 'data-migration-id': m.id, 'data-status': m.status },
      el('h3', { text: m.id }),
      el('div', {}, statusBadge(m.status), ' ', el('span', { class: 'meta', text: 'stage: ' + (m.stage || '') })),
      el('progress', {
        max: 100,
        value: m.progress || 0,
        'data-progress': m.progress || 0,
        'aria-label': 'progress ' + (m.progress || 0) + '%',
      }),
      el(
        'ul',
        { class: 'counts' },
        el('li', { text: (m.progress || 0) + '%' }),
        el('li', { text: 'total ' + (counts.total || 0) }),
        el('li', { text: 'moved ' + (counts.moved || 0) }),
        el('li', { text: 'skipped ' + (counts.skipped || 0) }),
        el('li', { text: 'failed ' + (counts.failed || 0) }),
        el('li', { text: 'blocked ' + (counts.blocked || 0) }),
        m.etaSeconds !== undefined ? el('li', { text: 'about ' + duration(m.etaSeconds) + ' left' }) : null,
        m.remaining ? el('li', { text: m.remaining + ' left for a later run' }) : null,
      ),
    );
    if (m.waitingFor) {
      card.appendChild(
        el(
          'div',
          { class: 'reason' },
          el('strong', { text: 'Waiting: ' }),
          el('span', { class: 'waiting-reason', text: m.waitingFor.reason }),
          m.waitingFor.nextCheckAt
            ? el('div', { class: 'meta', text: 'next check ' + when(m.waitingFor.nextCheckAt) })
            : null,
          m.waitingFor.deadline ? el('div', { class: 'meta', text: 'gives up ' + when(m.waitingFor.deadline) }) : null,
        ),
      );
    }
    if (m.message && !m.waitingFor) card.appendChild(el('p', { class: 'meta', text: m.message }));
    card.appendChild(
      el('p', { class: 'meta', text: 'started ' + when(m.createdAt) + ' · updated ' + when(m.updatedAt) }),
    );
    var actions = el(
      'div',
      { class: 'actions' },
      el('a', { href: apiUrl('/api/migrations/' + encodeURIComponent(m.id) + '/report'), text: 'report (JSON)' }),
      el('a', {
        href: apiUrl('/api/migrations/' + encodeURIComponent(m.id) + '/report?format=csv'),
        text: 'report (CSV)',
      }),
    );
    if (m.status === 'awaitingApproval') {
      actions.appendChild(actionButton(m.id, 'approve', 'Approve'));
      actions.appendChild(actionButton(m.id, 'reject', 'Reject', true));
    }
    if (m.status === 'waitingForLicenses') actions.appendChild(actionButton(m.id, 'recheck', 'Re-check now'));
    if (!finished) actions.appendChild(actionButton(m.id, 'cancel', 'Cancel', true));
    card.appendChild(actions);
    return card;
  }

  function scheduleCard(s) {
    var d = s.definition || {};
    var window_ = s.window;
    var card = el(
      'article',
      { class: 'card schedule', 'data-schedule-name': s.name, 'data-status': s.status },
      el('h3', { text: s.name }),
      el(
        'div',
        {},
        statusBadge(s.status),
        ' ',
        el('span', { class: 'meta', text: d.cron ? 'cron ' + d.cron : 'once at ' + when(d.startAt) }),
      ),
      el(
        'ul',
        { class: 'counts' },
        el('li', {
          text:
            'waves started ' +
            (s.occurrencesStarted || 0) +
            (d.wave && d.wave.maxOccurrences ? ' of ' + d.wave.maxOccurrences : ''),
        }),
        d.wave && d.wave.maxUsers ? el('li', { text: 'up to ' + d.wave.maxUsers + ' users a wave' }) : null,
        el('li', { text: 'time zone ' + (d.timeZone || 'UTC') }),
      ),
    );
    if (d.window) {
      var text = d.window.days.join(', ') + ' ' + d.window.start + '–' + d.window.end + ': ';
      text +=
        window_ && window_.open
          ? 'open until ' + when(window_.closesAt)
          : 'closed' + (window_ && window_.opensAt ? ', opens ' + when(window_.opensAt) : '');
      card.appendChild(el('p', { class: 'meta', text: 'window ' + text }));
    }
    if (s.nextOccurrence) card.appendChild(el('p', { class: 'meta', text: 'next wave ' + when(s.nextOccurrence) }));
    if (s.lastOccurrence && s.lastOccurrence.outcome === 'skipped') {
      card.appendChild(el('div', { class: 'reason', text: 'Last occurrence skipped: ' + s.lastOccurrence.reason }));
    }
    if (s.finished)
      card.appendChild(
        el('p', { class: 'meta', text: 'finished ' + when(s.finished.at) + ' (' + s.finished.reason + ')' }),
      );
    if (s.lastMigrationId) card.appendChild(el('p', { class: 'meta', text: 'latest wave: ' + s.lastMigrationId }));
    return card;
  }

  function render(container, empty, nodes) {
    container.replaceChildren.apply(container, nodes);
    empty.hidden = nodes.length > 0;
  }

  function showError(error) {
    var banner = document.getElementById('error');
    banner.textContent = error && error.message ? error.message : String(error);
    banner.hidden = false;
  }

  function refresh() {
    return Promise.all([api('/api/migrations?top=50'), api('/api/schedules')])
      .then(function (results) {
        var migrations = results[0].migrations || [];
        // The list is a summary; running migrations are fetched one by one for the progress of their current wave.
        return Promise.all(
          migrations.map(function (m) {
            if (FINISHED.indexOf(m.status) >= 0) return m;
            return api('/api/migrations/' + encodeURIComponent(m.id)).catch(function () {
              return m;
            });
          }),
        ).then(function (detailed) {
          return { migrations: detailed, schedules: results[1].schedules || [] };
        });
      })
      .then(function (data) {
        render(
          document.getElementById('migrations'),
          document.getElementById('migrations-empty'),
          data.migrations.map(migrationCard),
        );
        render(
          document.getElementById('schedules'),
          document.getElementById('schedules-empty'),
          data.schedules.map(scheduleCard),
        );
        document.getElementById('error').hidden = true;
        document.getElementById('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      })
      .catch(showError);
  }

  refresh();
  window.setInterval(function () {
    if (!busy && document.visibilityState !== 'hidden') refresh();
  }, REFRESH_MS);
})();
