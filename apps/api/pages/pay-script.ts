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
  // trade_type as in the original: a whole trade or one order; the pages and routes differ only in their base.
  var kind = body.getAttribute('data-kind') === 'trade' ? 'trade' : 'order';
  var orderSn = body.getAttribute('data-order') || body.getAttribute('data-trade');
  var apiBase = (kind === 'trade' ? '/trades/' : '/orders/') + orderSn;
  var pageBase = (kind === 'trade' ? '/pay/trade/' : '/pay/orders/') + orderSn;
  var resultPath = kind === 'trade' ? '/pay/trade/' + orderSn + '/result' : pageBase + '/alipay-return';
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
  // A refusal is a problem document (docs/errors.md): its detail is what the buyer reads. retries:
  // how many times a 503 with Retry-After (the provider did not answer; nothing was refused) is sent
  // again after the wait it names; only for requests that are safe to repeat (starting a payment is).
  function api(method, path, json, retries) {
    var headers = { authorization: 'Bearer ' + token };
    if (json) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: json ? JSON.stringify(json) : undefined }).then(function (res) {
      return res.json().then(function (answer) {
        if (res.status === 503 && retries > 0 && answer.retryAfterSeconds > 0) {
          say('The payment provider is slow to answer: trying again\u2026', 'retrying');
          return new Promise(function (wait) { setTimeout(wait, answer.retryAfterSeconds * 1000); }).then(function () { return api(method, path, json, retries - 1); });
        }
        if (!res.ok) throw new Error(answer.detail || answer.title || res.statusText);
        return answer;
      });
    });
  }
  // Display only: amounts stay integer fen everywhere else.
  function yuan(fen) { return '\u00a5' + Math.floor(fen / 100) + '.' + String(fen % 100).padStart(2, '0'); }
  function statusOf() { return api('GET', apiBase + '/payment'); }
  function showOrder(status) {
    el('amount').textContent = yuan(status.amountFen);
    if (kind === 'order') { el('order-status').textContent = status.orderStatus + ' / ' + status.payStatus; return; }
    el('order-status').textContent = status.tradeStatus;
    var list = el('trade-orders');
    if (!list) return;
    list.textContent = '';
    status.orders.forEach(function (order) {
      var item = document.createElement('li');
      item.setAttribute('data-order', order.orderSn);
      item.setAttribute('data-status', order.orderStatus);
      item.textContent = order.orderSn + ': ' + yuan(order.orderFen) + ' \u00b7 ' + order.orderStatus + ' / ' + order.payStatus;
      list.appendChild(item);
    });
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

  function text(tag, content, cls) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (cls) node.className = cls;
    return node;
  }

  if (page === 'goods') {
    var skuId = body.getAttribute('data-sku');
    api('GET', '/goods/' + skuId).then(function (goods) {
      el('name').textContent = goods.name;
      el('price').textContent = yuan(goods.priceFen);
      el('stock').textContent = String(goods.availableQuantity);
      el('buy').hidden = false;
      say('Add it to your cart', 'ready');
    }).catch(function (err) { say(err.message, 'error'); });
    el('add').addEventListener('click', function () {
      api('POST', '/cart/items', { skuId: Number(skuId), quantity: Number(el('quantity').value) }).then(function (line) {
        say('In your cart: ' + line.quantity, 'added');
      }).catch(function (err) { say(err.message, 'error'); });
    });
  }

  if (page === 'checkout') {
    // One key per page load: a double click or a retried request replays the same trade.
    var idempotencyKey = 'page-' + Date.now() + '-' + Math.random().toString(36).slice(2);
    var render = function (view) {
      var shops = el('shops');
      shops.textContent = '';
      if (!view.shops.length) { say('Your cart has no checked lines', 'empty'); return; }
      view.shops.forEach(function (shop) {
        var section = document.createElement('section');
        section.className = 'shop';
        section.setAttribute('data-seller', shop.sellerId);
        section.appendChild(text('h2', 'Shop ' + shop.sellerId));
        var table = document.createElement('table');
        shop.lines.forEach(function (line) {
          var row = document.createElement('tr');
          row.appendChild(text('td', line.name));
          row.appendChild(text('td', '\u00d7' + line.num));
          row.appendChild(text('td', yuan(line.goodsFen), 'num'));
          row.appendChild(text('td', line.discountFen ? '\u2212' + yuan(line.discountFen) : '', 'num discount'));
          table.appendChild(row);
        });
        section.appendChild(table);
        shop.fullReductions.filter(function (r) { return r.applied; }).forEach(function (rule) {
          section.appendChild(text('p', rule.title + ': \u2212' + yuan(rule.discountFen), 'promo'));
        });
        if (shop.coupons.length) {
          var label = text('label', 'Coupon ');
          var select = document.createElement('select');
          select.className = 'coupon';
          select.appendChild(new Option('none', ''));
          shop.coupons.forEach(function (c) {
            select.appendChild(new Option(c.title + ' (' + yuan(c.valueFen) + ' off from ' + yuan(c.thresholdFen) + ')', String(c.memberCouponId)));
          });
          select.value = shop.selectedCoupon ? String(shop.selectedCoupon.memberCouponId) : '';
          select.addEventListener('change', function () {
            api('PUT', '/checkout/coupons/' + shop.sellerId, { memberCouponId: select.value ? Number(select.value) : null }).then(render)
              .catch(function (err) { say(err.message, 'error'); });
          });
          label.appendChild(select);
          section.appendChild(label);
        }
        if (shop.couponProblem) section.appendChild(text('p', shop.couponProblem, 'problem'));
        var t = shop.totals;
        section.appendChild(text('p', 'Goods ' + yuan(t.goodsFen) + ' \u00b7 discount \u2212' + yuan(t.discountFen) + ' \u00b7 shipping ' + yuan(t.shippingFen) + ' \u00b7 payable ' + yuan(t.payableFen), 'totals'));
        shops.appendChild(section);
      });
      el('grand-total').textContent = yuan(view.totals.payableFen);
      el('place').hidden = false;
      say('Check your order', 'ready');
    };
    api('GET', '/checkout').then(render).catch(function (err) { say(err.message, 'error'); });
    el('place').addEventListener('submit', function (event) {
      event.preventDefault();
      var form = el('place');
      var field = function (name) { return form.elements.namedItem(name).value; };
      var request = {
        address: { name: field('name'), mobile: field('mobile'), detail: field('detail') },
        paymentType: field('paymentType'),
        deliveryTime: field('deliveryTime'),
      };
      if (field('invoiceTitle').trim()) request.invoiceTitle = field('invoiceTitle');
      fetch('/checkout', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'idempotency-key': idempotencyKey }, body: JSON.stringify(request) })
        .then(function (res) { return res.json().then(function (answer) { if (!res.ok) throw new Error(Array.isArray(answer.message) ? answer.message.join('; ') : answer.message); return answer; }); })
        .then(function (trade) {
          form.hidden = true;
          el('shops').textContent = '';
          var list = document.createElement('ul');
          list.id = 'orders';
          trade.orders.forEach(function (order) {
            var item = document.createElement('li');
            item.appendChild(text('span', 'Shop ' + order.sellerId + ': ' + yuan(order.orderFen) + ' '));
            var link = text('a', 'Pay ' + order.orderSn);
            link.href = '/pay/orders/' + order.orderSn;
            link.setAttribute('data-order', order.orderSn);
            item.appendChild(link);
            list.appendChild(item);
          });
          el('shops').appendChild(list);
          if (trade.orders.length > 1) {
            // One payment for every shop's order (POST /trades/{sn}/payment).
            var all = text('a', 'Pay all ' + trade.orders.length + ' orders at once');
            all.id = 'pay-trade';
            all.href = '/pay/trade/' + trade.tradeSn;
            el('shops').appendChild(all);
          }
          el('grand-total').textContent = yuan(trade.totalFen);
          say('Order placed: ' + trade.tradeSn, 'placed');
        })
        .catch(function (err) { say(err.message, 'error'); });
    });
  }

  if (page === 'cashier') {
    // Called by the WeChat QR frame once the payment is confirmed, like the original weixin_qr page.
    window.payComplete = function () {
      say('Payment complete', 'paid');
      el('methods').hidden = true;
      el('wechat').hidden = true;
      // A trade's cashier goes on to its result page (the original's payment/{trade_type}/{sn}/result).
      if (kind === 'trade') { location.href = resultPath; return; }
      statusOf().then(showOrder);
    };
    statusOf().then(function (status) {
      showOrder(status);
      if (status.paid) { say('This ' + kind + ' is paid', 'paid'); return; }
      say('Choose how to pay', 'choose');
      el('methods').hidden = false;
    }).catch(function (err) { say(err.message, 'error'); });
    el('pay-wechat').addEventListener('click', function () {
      el('methods').hidden = true;
      el('wechat').hidden = false;
      el('wechat-frame').src = pageBase + '/wechat';
      say('Scan the QR code with WeChat', 'wechat');
    });
    el('pay-alipay').addEventListener('click', function () {
      say('Opening Alipay\u2026', 'alipay');
      api('POST', apiBase + '/payment', { provider: 'alipay', returnUrl: location.origin + resultPath }, 2).then(function (payment) {
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
    api('POST', apiBase + '/payment', { provider: 'wechatpay' }, 2).then(function (payment) {
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

  if (page === 'alipay-return' || page === 'result') {
    // The return URL's parameters are not trusted: the outcome shown is the order's, which only a
    // verified notification (or the provider's signed query answer) changes.
    say(page === 'result' ? 'Confirming the payment\u2026' : 'Back from Alipay: confirming the payment\u2026', 'confirming');
    statusOf().then(function (status) {
      showOrder(status);
      if (status.paid) { say('Payment complete', 'paid'); return; }
      poll(1000, function () { say('Payment complete', 'paid'); });
    }).catch(function (err) { say(err.message, 'error'); });
  }
})();
`;
