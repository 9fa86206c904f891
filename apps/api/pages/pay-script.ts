/**
 * The pay pages' browser script, served as /pay/assets/pay.js (one file, so the pages' CSP can
 * forbid inline scripts). Plain ES2017 for any browser; it only calls the public JSON API.
 *
 * Token handling: the buyer's link carries the bearer token in the URL fragment (#token=…), which a
 * browser never sends to any server (not ours, not a provider's, not in Referer). The script moves it
 * into this tab's sessionStorage and removes it from the address bar; the WeChat QR frame and the
 * Alipay return page (same origin, same tab) read it from there.
 */
export const PAY_SCRIPT = String.raw`(function () {
  'use strict';
  var body = document.body;
  var orderSn = body.getAttribute('data-order');
  var page = body.getAttribute('data-page');
  var found = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem('buyerToken', decodeURIComponent(found[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  var token = sessionStorage.getItem('buyerToken');
  function el(id) { return document.getElementById(id); }
  function say(text, state) {
    el('status').textContent = text;
    if (state) body.setAttribute('data-state', state);
  }
  function api(method, path, json) {
    var headers = { authorization: 'Bearer ' + token };
    if (json) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: json ? JSON.stringify(json) : undefined }).then(function (res) {
      return res.json().then(function (answer) {
        if (!res.ok) throw new Error(Array.isArray(answer.message) ? answer.message.join('; ') : answer.message || res.statusText);
        return answer;
      });
    });
  }
  // Display only: amounts stay integer fen everywhere else.
  function yuan(fen) { return '\u00a5' + Math.floor(fen / 100) + '.' + String(fen % 100).padStart(2, '0'); }
  function statusOf() { return api('GET', '/orders/' + orderSn + '/payment'); }
  function showOrder(status) {
    el('amount').textContent = yuan(status.amountFen);
    el('order-status').textContent = status.orderStatus + ' / ' + status.payStatus;
  }
  function poll(everyMs, onPaid) {
    var timer = setInterval(function () {
      statusOf().then(function (status) {
        showOrder(status);
        if (status.paid) { clearInterval(timer); onPaid(status); }
      }).catch(function (err) { el('error').textContent = err.message; });
    }, everyMs);
  }
  if (!token) { say('Open this page from your order link (it signs you in for this tab).', 'no-token'); return; }

  if (page === 'cashier') {
    // Called by the WeChat QR frame once the payment is confirmed, like the original weixin_qr page.
    window.payComplete = function () {
      say('Payment complete', 'paid');
      el('methods').hidden = true;
      el('wechat').hidden = true;
      statusOf().then(showOrder);
    };
    statusOf().then(function (status) {
      showOrder(status);
      if (status.paid) { say('This order is paid', 'paid'); return; }
      say('Choose how to pay', 'choose');
      el('methods').hidden = false;
    }).catch(function (err) { say(err.message, 'error'); });
    el('pay-wechat').addEventListener('click', function () {
      el('methods').hidden = true;
      el('wechat').hidden = false;
      el('wechat-frame').src = '/pay/orders/' + orderSn + '/wechat';
      say('Scan the QR code with WeChat', 'wechat');
    });
    el('pay-alipay').addEventListener('click', function () {
      say('Opening Alipay\u2026', 'alipay');
      api('POST', '/orders/' + orderSn + '/payment', { provider: 'alipay', returnUrl: location.origin + '/pay/orders/' + orderSn + '/alipay-return' }).then(function (payment) {
        // The signed request goes to the gateway as a form post from the buyer's browser.
        var form = document.createElement('form');
        form.method = 'post';
        form.action = payment.gatewayUrl;
        payment.formItems.forEach(function (item) {
          var input = document.createElement('input');
          input.type = 'hidden';
          input.name = item.name;
          input.value = item.value;
          form.appendChild(input);
        });
        document.body.appendChild(form);
        form.submit();
      }).catch(function (err) { say(err.message, 'error'); });
    });
  }

  if (page === 'wechat') {
    api('POST', '/orders/' + orderSn + '/payment', { provider: 'wechatpay' }).then(function (payment) {
      el('out-trade-no').textContent = payment.outTradeNo;
      body.setAttribute('data-out-trade-no', payment.outTradeNo);
      el('amount').textContent = yuan(payment.amountFen);
      return fetch(payment.qrImageUrl, { headers: { authorization: 'Bearer ' + token } });
    }).then(function (res) {
      if (!res.ok) throw new Error('QR code unavailable (' + res.status + ')');
      return res.blob();
    }).then(function (image) {
      el('qr').src = URL.createObjectURL(image);
      el('qr').hidden = false;
      say('Waiting for payment\u2026', 'waiting');
      poll(1000, function () {
        say('Paid', 'paid');
        if (window.parent !== window && typeof window.parent.payComplete === 'function') window.parent.payComplete();
      });
    }).catch(function (err) { say(err.message, 'error'); });
  }

  if (page === 'alipay-return') {
    // The return URL's parameters are not trusted: the outcome shown is the order's, which only a
    // verified notification (or the provider's signed query answer) changes.
    say('Back from Alipay: confirming the payment\u2026', 'confirming');
    statusOf().then(function (status) {
      showOrder(status);
      if (status.paid) { say('Payment complete', 'paid'); return; }
      poll(1000, function () { say('Payment complete', 'paid'); });
    }).catch(function (err) { say(err.message, 'error'); });
  }
})();
`;
