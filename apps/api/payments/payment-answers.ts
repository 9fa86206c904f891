import { anyObject, arrayOf, boolean, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';

/** The answers of the payment routes (an order's and a trade's), in OpenAPI (common/answer-schemas.ts). */

const PROVIDERS = ['wechatpay', 'alipay'];

/** What a payment attempt opened at the provider answers: a WeChat Pay QR code, or an Alipay cashier form. */
const OPENED = {
  provider: oneOf(PROVIDERS),
  outTradeNo: string('the payment number at the provider'),
  amountFen: integer(),
  statusUrl: string('the path the pay page polls'),
  codeUrl: string('WeChat Pay: the weixin://… URL the QR code holds'),
  qrImageUrl: string('WeChat Pay: the QR code as a PNG'),
  gatewayUrl: string('Alipay: where the cashier form posts'),
  formItems: anyObject('Alipay: the cashier form\'s fields'),
};
const PROVIDER_SPECIFIC = ['codeUrl', 'qrImageUrl', 'gatewayUrl', 'formItems'];

export const ORDER_PAYMENT_OPENED = object({ orderSn: string(), ...OPENED }, { optional: PROVIDER_SPECIFIC });

export const ORDER_PAYMENT_STATUS = object({
  orderSn: string(),
  orderStatus: string(),
  payStatus: string(),
  paid: boolean(),
  amountFen: integer(),
  payments: arrayOf(object({ provider: oneOf(PROVIDERS), outTradeNo: string(), status: string(), amountFen: integer(), transactionId: nullable(string()), paidAt: nullable(dateTime()), paidAfterCancel: boolean() })),
});

const SHARES = arrayOf(object({ orderSn: string(), amountFen: integer() }), 'each order\'s share of the trade\'s payment');

export const TRADE_PAYMENT_OPENED = object({ tradeSn: string(), ...OPENED, shares: SHARES }, { optional: PROVIDER_SPECIFIC });

export const TRADE_PAYMENT_STATUS = object({
  tradeSn: string(),
  tradeStatus: string(),
  paid: boolean(),
  amountFen: integer(),
  awaitingFen: integer(),
  orders: arrayOf(object({ orderSn: string(), sellerId: integer(), orderStatus: string(), payStatus: string(), orderFen: integer() })),
  payments: arrayOf(object({ provider: oneOf(PROVIDERS), outTradeNo: string(), status: string(), amountFen: integer(), transactionId: nullable(string()), paidAt: nullable(dateTime()), shares: SHARES })),
});

/** A QR code image. */
export const PNG = { type: 'string', format: 'binary' } as const;
