/**
 * The support console's browser script, served as /support/assets/console.js (one file: the page's
 * CSP forbids inline scripts). The support token arrives once in the URL fragment (#token=…, never
 * sent to a server), moves to this tab's sessionStorage and leaves the address bar, as on the pay pages.
 * Every text is set with textContent: nothing from the API is parsed as HTML.
 */
export const SUPPORT_SCRIPT = String.raw`(function () {
  'use strict';
  var body = document.body;
  var found = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem('supportToken', decodeURIComponent(found[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  var token = sessionStorage.getItem('supportToken');
  function el(id) { return document.getElementById(id); }
  function say(text, state) { el('status').textContent = text; if (state) body.setAttribute('data-state', state); }
  function api(path) {
    return fetch(path, { headers: { authorization: 'Bearer ' + token } }).then(function (res) {
      return res.json().then(function (answer) {
        if (!res.ok) throw new Error(answer.detail || (Array.isArray(answer.message) ? answer.message.join('; ') : answer.message) || res.statusText);
        return answer;
      });
    });
  }
  function yuan(fen) { if (fen === null || fen === undefined) return ''; var s = fen < 0 ? '-' : ''; fen = Math.abs(fen); return s + '\u00a5' + Math.floor(fen / 100) + '.' + String(fen % 100).padStart(2, '0'); }
  function age(ms) { if (ms < 60000) return Math.floor(ms / 1000) + ' s'; var m = Math.floor(ms / 60000); if (m < 60) return m + ' min'; var h = Math.floor(m / 60); return h < 48 ? h + ' h ' + (m % 60) + ' min' : Math.floor(h / 24) + ' d ' + (h % 24) + ' h'; }
  function cell(row, text, cls) { var td = document.createElement('td'); td.textContent = text == null ? '' : String(text); if (cls) td.className = cls; row.appendChild(td); return td; }
  function link(td, href, text) { var a = document.createElement('a'); a.href = href; a.textContent = text; a.target = '_blank'; a.rel = 'noopener'; td.appendChild(a); return a; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function showOrders(orders) {
    var list = el('orders'); clear(list);
    orders.forEach(function (o) {
      var li = document.createElement('li');
      var a = document.createElement('a'); a.href = '#'; a.textContent = o.orderSn; a.setAttribute('data-order', o.orderSn);
      a.addEventListener('click', function (e) { e.preventDefault(); openTimeline(o.orderSn); });
      li.appendChild(a);
      li.appendChild(document.createTextNode(' ' + o.orderStatus + ' · ' + yuan(o.orderFen) + ' · buyer ' + o.buyerId + ' · seller ' + o.sellerId));
      list.appendChild(li);
    });
    if (orders.length === 0) say('No order found.', 'empty');
  }

  function openTimeline(orderSn) {
    say('Loading the timeline of ' + orderSn + '…', 'loading');
    return api('/support/orders/' + encodeURIComponent(orderSn) + '/timeline').then(function (t) {
      el('timeline-title').textContent = 'Timeline of ' + t.order.orderSn + ' (' + t.order.orderStatus + ', paid ' + yuan(t.order.paidFen) + ', refunded ' + yuan(t.order.refundedFen) + ')';
      var rows = el('timeline-rows'); clear(rows);
      t.entries.forEach(function (e) {
        var tr = document.createElement('tr'); tr.setAttribute('data-kind', e.kind);
        if (e.kind === 'timer.pending') tr.className = 'pending';
        cell(tr, e.at.replace('T', ' ').replace('Z', ''));
        cell(tr, e.kind, 'kind');
        cell(tr, e.actor.role + (e.actor.id ? ' ' + e.actor.id : ''));
        cell(tr, e.what);
        cell(tr, yuan(e.moneyFen), 'num');
        cell(tr, e.stock ? e.stock.kind + ' ' + e.stock.quantity + ' × SKU ' + e.stock.skuId : '');
        var h = cell(tr, '');
        if (e.history) link(h, e.history.url, e.history.workflowId + ' #' + e.history.eventId).className = 'temporal';
        rows.appendChild(tr);
      });
      el('timeline').hidden = false;
      say('Timeline of ' + orderSn + ': ' + t.entries.length + ' entries' + (t.historyUnavailable ? ' (Temporal history unavailable: ' + t.historyUnavailable + ')' : ''), 'timeline');
    }).catch(function (err) { say(err.message, 'error'); });
  }

  function loadQueue() {
    return api('/support/work-queue').then(function (q) {
      var rows = el('queue-rows'); clear(rows);
      q.items.forEach(function (i) {
        var tr = document.createElement('tr'); tr.setAttribute('data-kind', i.kind);
        if (i.overdue) tr.className = 'overdue';
        cell(tr, i.kind, 'kind');
        cell(tr, age(i.ageMs) + ' / ' + age(i.serviceLevelMs) + (i.escalated ? ' · escalated' : i.overdue ? ' · overdue' : ''));
        cell(tr, yuan(i.amountFen), 'num');
        var o = cell(tr, '');
        if (i.orderSn) { var a = link(o, '#', i.orderSn); a.target = ''; a.addEventListener('click', function (e) { e.preventDefault(); openTimeline(i.orderSn); }); }
        cell(tr, i.summary);
        cell(tr, i.resolution.method + ' ' + i.resolution.path);
        var w = cell(tr, '');
        if (i.temporalUiUrl) link(w, i.temporalUiUrl, i.workflowId).className = 'temporal';
        rows.appendChild(tr);
      });
      el('queue-count').textContent = String(q.items.length);
    });
  }

  function loadGates() {
    return api('/support/provider-gates').then(function (answer) {
      var gates = answer.gates;
      var open = gates.filter(function (g) { return g.status === 'OPEN' || g.waiting > 0; });
      var line = el('gates');
      line.className = open.length ? 'open' : '';
      line.textContent = open.length === 0 ? 'Provider gates: all closed.' : open.map(function (g) {
        return g.provider + ' ' + g.family + ' ' + (g.status === 'OPEN' ? 'failing since ' + g.openSinceIso.replace('T', ' ').replace('Z', '') : 'closed, releasing') + ': ' + g.waiting + ' waiting (' + yuan(g.waitingFen) + ')' + (g.lastProbe ? ', last probe ' + g.lastProbe.atIso.replace('T', ' ').replace('Z', '') + ' ' + g.lastProbe.detail : '');
      }).join(' · ');
    }).catch(function () { el('gates').textContent = 'Provider gates: unknown'; });
  }

  if (!token) { say('Open this page with a support token: /support/console#token=…', 'no-token'); return; }
  el('search').addEventListener('submit', function (e) {
    e.preventDefault();
    var field = el('field').value, value = el('q').value.trim();
    if (!value) return;
    say('Searching…', 'loading');
    api('/support/orders?' + field + '=' + encodeURIComponent(value)).then(function (page) {
      var orders = page.items;
      showOrders(orders);
      if (orders.length > 0) say(orders.length + ' order(s) found.', 'found');
      if (orders.length === 1) return openTimeline(orders[0].orderSn);
    }).catch(function (err) { say(err.message, 'error'); });
  });
  loadGates();
  loadQueue().then(function () { say('Ready.', 'ready'); }).catch(function (err) { say(err.message, 'error'); });
})();
`;
