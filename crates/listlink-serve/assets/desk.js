// The review desk: the queue, the pair under review, the keys, the search box.
// Plain JavaScript, no libraries; every value is set as text, never as HTML.
(function () {
  'use strict';
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const nameColumn = document.body.dataset.nameColumn;

  async function api(method, url, body) {
    const options = { method, headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const e = data.error || {};
      throw new Error((e.field ? e.field + ': ' : '') + (e.message || response.statusText));
    }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else if (k === 'style') node.style.cssText = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
    }
    return node;
  }

  function personLink(id) {
    return el('a', { href: '/persons/' + encodeURIComponent(id) }, id);
  }

  // ---- search: a name in any script, looked up with the store's model ----
  const search = document.getElementById('search');
  const results = document.getElementById('search-results');
  search.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = document.getElementById('search-box').value.trim();
    if (!q) { results.hidden = true; return; }
    const record = {};
    record[nameColumn] = q;
    results.hidden = false;
    results.replaceChildren(el('p', { class: 'muted' }, 'Searching…'));
    try {
      const data = await api('POST', '/api/match', { records: [record], top: 10 });
      const r = data.results[0];
      const list = el('ol');
      for (const c of r ? r.candidates : []) {
        const name = Object.entries(c.record).filter(([k]) => k !== 'source' && k !== 'id').map(([, v]) => v).join(' · ');
        list.append(el('li', {}, c.person_id ? personLink(c.person_id) : '', ' ',
          el('span', { dir: 'auto' }, name), ' ', el('span', { class: 'muted' }, 'p = ' + c.probability.toFixed(3))));
      }
      results.replaceChildren(el('p', {}, 'Status: ', el('strong', {}, r ? r.status.replace('_', ' ') : 'not found')), list);
    } catch (e) {
      results.replaceChildren(el('p', { class: 'error' }, e.message));
    }
  });

  // ---- the desk ----
  if (!document.getElementById('desk')) return;
  const queueList = document.getElementById('queue');
  const view = document.getElementById('pair-view');
  const status = document.getElementById('status');
  let queue = [];
  let index = 0;
  const done = [];   // decisions made here, newest last: {id, left, right, decision}
  const undone = []; // decisions undone here, for redo

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  async function load() {
    const data = await api('GET', '/api/review?limit=50');
    queue = data.pairs;
    if (index >= queue.length) index = Math.max(0, queue.length - 1);
    document.getElementById('queue-count').textContent = '(' + queue.length + ')';
    renderQueue();
    await show();
  }

  function renderQueue() {
    queueList.replaceChildren(...queue.map((p, i) => {
      const item = el('li', { class: i === index ? 'current' : '' },
        p.left.key + ' ~ ' + p.right.key, ' ', el('span', { class: 'muted' }, 'p ' + p.probability.toFixed(2)),
        p.has_status ? el('span', { class: 'tag' }, 'status') : null,
        p.unsure ? el('span', { class: 'tag' }, 'unsure') : null);
      item.addEventListener('click', () => { index = i; renderQueue(); show(); });
      return item;
    }));
  }

  function recordCard(side, record, person) {
    return el('div', { class: 'record' },
      el('h3', {}, side + ': ' + record.key + ' · ', personLink(person)),
      el('p', { class: 'muted' }, 'from ' + record.file_name + ' (received ' + record.received + ')' +
        (record.status ? ' · status ' + record.status + ' ' + record.status_date : '')));
  }

  function valuesTable(left, right) {
    const keys = [];
    for (const k of Object.keys(left.values).concat(Object.keys(right.values))) {
      if (!keys.includes(k)) keys.push(k);
    }
    const body = el('tbody');
    for (const k of keys) {
      const a = left.values[k] || '';
      const b = right.values[k] || '';
      body.append(el('tr', { class: a && b && a === b ? 'same' : '' },
        el('th', {}, k), el('td', { dir: 'auto' }, a), el('td', { dir: 'auto' }, b)));
    }
    return el('table', { class: 'values' },
      el('thead', {}, el('tr', {}, el('th', {}, 'as written'), el('th', {}, left.key), el('th', {}, right.key))), body);
  }

  function asReadTable(e, left, right) {
    const labels = [];
    for (const it of e.as_read.left.concat(e.as_read.right)) {
      if (!labels.includes(it.read)) labels.push(it.read);
    }
    const value = (side, label) => (side.find((it) => it.read === label) || {}).value || '';
    const body = el('tbody');
    for (const label of labels) {
      body.append(el('tr', {},
        el('th', {}, label), el('td', { dir: 'auto' }, value(e.as_read.left, label)), el('td', { dir: 'auto' }, value(e.as_read.right, label))));
    }
    return el('div', { class: 'as-read' },
      el('table', { class: 'values' },
        el('thead', {}, el('tr', {}, el('th', {}, 'as read'), el('th', {}, left.key), el('th', {}, right.key))), body),
      el('p', { class: 'muted' }, e.blocking_rule ? 'compared because they share the blocking key ' + e.blocking_rule : 'no blocking rule brings them together'));
  }

  function waterfall(items, total) {
    let at = 0;
    const spans = items.map((it) => { const from = at; at += it.weight; return [from, at]; });
    const lo = Math.min(0, ...spans.flat());
    const hi = Math.max(0, ...spans.flat());
    const scale = (x) => ((x - lo) / ((hi - lo) || 1)) * 100;
    const rows = items.map((it, i) => {
      const [a, b] = spans[i];
      const left = scale(Math.min(a, b));
      const width = Math.max(0.4, scale(Math.max(a, b)) - left);
      return el('div', { class: 'wf-row' },
        el('div', { class: 'wf-label' }, it.comparison, el('br'), el('span', { class: 'muted' }, it.level)),
        el('div', { class: 'wf-track' },
          el('div', { class: 'wf-bar ' + (it.weight >= 0 ? 'pos' : 'neg'), style: 'left:' + left + '%;width:' + width + '%' }),
          el('div', { class: 'wf-zero', style: 'left:' + scale(0) + '%' })),
        el('div', { class: 'wf-value' }, (it.weight >= 0 ? '+' : '') + it.weight.toFixed(2)),
        el('div', { class: 'wf-rule', dir: 'auto' }, it.rule || ''));
    });
    return el('div', { class: 'waterfall' }, el('h3', {}, 'Evidence, comparison by comparison (as read): weight ' + total.toFixed(2)), ...rows);
  }

  async function show() {
    const p = queue[index];
    if (!p) {
      view.replaceChildren(el('p', {}, 'Nothing to review.'));
      return;
    }
    view.replaceChildren(
      el('p', { class: 'lead' }, 'Probability ' + p.probability.toFixed(3) + ' · a decision touches ' + p.records_touched + ' records'),
      el('div', { class: 'side-by-side' }, recordCard('left', p.left, p.left_person), recordCard('right', p.right, p.right_person)),
      valuesTable(p.left, p.right),
      el('div', { id: 'evidence' }, el('p', { class: 'muted' }, 'Reading the evidence…')));
    try {
      const q = '/api/pair?left=' + encodeURIComponent(p.left.key) + '&right=' + encodeURIComponent(p.right.key);
      const e = await api('GET', q);
      if (queue[index] !== p) return;
      const box = document.getElementById('evidence');
      box.replaceChildren(...(e.candidate
        ? [asReadTable(e, p.left, p.right), waterfall(e.explanation, e.weight)]
        : [el('p', { class: 'muted' }, e.explanation_text)]));
    } catch (err) {
      say(err.message, true);
    }
  }

  async function decide(decision) {
    const p = queue[index];
    if (!p) return;
    try {
      const r = await api('POST', '/api/decisions', { left: p.left.key, right: p.right.key, decision });
      done.push({ id: r.id, left: p.left.key, right: p.right.key, decision });
      undone.length = 0;
      say('Recorded ' + decision.replace('_', ' ') + ' (#' + r.id + '): the records are now ' + r.persons[0] + ' and ' + r.persons[1]);
      await load();
    } catch (e) {
      say(e.message, true);
    }
  }

  async function undo() {
    const last = done.pop();
    if (!last) { say('Nothing to undo.'); return; }
    try {
      const r = await api('DELETE', '/api/decisions/' + last.id);
      undone.push(last);
      say('Undid ' + last.decision.replace('_', ' ') + ' (#' + last.id + ', undo #' + r.id + ')');
      await load();
    } catch (e) {
      done.push(last);
      say(e.message, true);
    }
  }

  async function redo() {
    const last = undone.pop();
    if (!last) { say('Nothing to redo.'); return; }
    try {
      const r = await api('POST', '/api/decisions', { left: last.left, right: last.right, decision: last.decision });
      done.push({ ...last, id: r.id });
      say('Redid ' + last.decision.replace('_', ' ') + ' (#' + r.id + '): the records are now ' + r.persons[0] + ' and ' + r.persons[1]);
      await load();
    } catch (e) {
      undone.push(last);
      say(e.message, true);
    }
  }

  document.addEventListener('keydown', (event) => {
    const t = event.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      m: () => decide('match'), n: () => decide('not_match'), u: () => decide('unsure'),
      z: undo, y: redo,
      j: () => { if (index + 1 < queue.length) { index++; renderQueue(); show(); } },
      k: () => { if (index > 0) { index--; renderQueue(); show(); } },
    };
    const action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  load().catch((e) => say(e.message, true));
})();
