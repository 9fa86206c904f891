import { formatFen } from './money';

const PROVIDER_LABELS: Record<string, string> = { wechatpay: 'WeChat Pay', alipay: 'Alipay' };

/** "Refund 129.00 CNY via WeChat Pay": how a refund reads in logs and in the Temporal UI's summaries. */
export function describeRefund(refundFen: number, provider: string, verb = 'Refund'): string {
  return `${verb} ${formatFen(refundFen)} CNY via ${PROVIDER_LABELS[provider] ?? provider}`;
}
