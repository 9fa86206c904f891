import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { LookupAddress, LookupAllOptions } from 'node:dns';

/**
 * The SSRF guard for sellers' webhook URLs (docs/webhooks.md#security), used when an endpoint is
 * registered or changed (the API) and again at every connection (the delivery activity's lookup): a URL
 * must be https (unless WEBHOOK_ALLOW_HTTP), carry no credentials, and every address its host resolves
 * to must be public — not loopback, private, link-local (cloud metadata 169.254.169.254), CGNAT,
 * unspecified, multicast, reserved or documentation ranges, IPv6 ULA / link-local / site-local, nor an
 * IPv4-mapped, NAT64 or 6to4 address (each can point back inside). WEBHOOK_ALLOW_PRIVATE_TARGETS lets
 * local receivers through in development and tests.
 */

const FORBIDDEN_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (shared address space)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (and broadcast)'],
];
const FORBIDDEN_V6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 'NAT64 (maps IPv4)'],
  ['64:ff9b:1::', 48, 'NAT64 (maps IPv4)'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4 (maps IPv4)'],
  ['fc00::', 7, 'unique local (ULA)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];
// One list per family: Node's BlockList matches an IPv4 address against IPv4-mapped IPv6 rules too,
// so ::ffff:0:0/96 in a shared list would refuse every IPv4 address.
const blockList = (ranges: [string, number, string][], type: 'ipv4' | 'ipv6') => {
  const list = new BlockList();
  for (const [net, prefix] of ranges) list.addSubnet(net, prefix, type);
  return list;
};
const FORBIDDEN = { ipv4: blockList(FORBIDDEN_V4, 'ipv4'), ipv6: blockList(FORBIDDEN_V6, 'ipv6') };

/** Why an address may not receive webhooks (undefined: it may). */
export function forbiddenAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (!FORBIDDEN[type].check(address, type)) return undefined;
  const range = (family === 4 ? FORBIDDEN_V4 : FORBIDDEN_V6).find(([net, prefix]) => blockList([[net, prefix, '']], type).check(address, type));
  return `${address} is ${range?.[2] ?? 'not a public address'}`;
}

/** How names are resolved (dns.lookup by default; a test passes its own to play a DNS change). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true } satisfies LookupAllOptions, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export interface TargetRules {
  allowHttp: boolean;
  allowPrivateTargets: boolean;
}

export class WebhookTargetRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WebhookTargetRefused';
  }
}

/** The URL's own rules, without resolving it: scheme, no credentials, a host, no fragment. */
export function checkUrlShape(text: string, rules: TargetRules): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookTargetRefused(`"${text.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && rules.allowHttp)) throw new WebhookTargetRefused(`the URL must be https://${rules.allowHttp ? ' or http://' : ''}, got ${url.protocol}//`);
  if (url.username || url.password) throw new WebhookTargetRefused('the URL must not carry a user name or password');
  if (url.hash) throw new WebhookTargetRefused('the URL must not have a #fragment');
  if (!url.hostname) throw new WebhookTargetRefused('the URL has no host');
  return url;
}

/** The host's addresses, each checked; refused if any is not public (a name that also points inside is refused as a whole). */
export async function resolveTarget(hostname: string, rules: TargetRules, resolve: Resolve = systemResolve): Promise<LookupAddress[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new WebhookTargetRefused(`${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (addresses.length === 0) throw new WebhookTargetRefused(`${host} does not resolve to any address`);
  if (!rules.allowPrivateTargets) {
    for (const { address } of addresses) {
      const why = forbiddenAddressReason(address);
      if (why) throw new WebhookTargetRefused(`${host} resolves to ${address}: ${why}, not a public address`);
    }
  }
  return addresses;
}

/** Registration's check: the URL's shape, then its host's addresses as they resolve now. */
export async function checkWebhookUrl(text: string, rules: TargetRules, resolve: Resolve = systemResolve): Promise<URL> {
  const url = checkUrlShape(text, rules);
  await resolveTarget(url.hostname, rules, resolve);
  return url;
}

/**
 * A `lookup` for http(s).request: resolves the name once, checks every address, and hands the socket
 * the checked one — the connection goes to exactly the address that was checked, so a DNS answer that
 * changes between the check and the connect cannot reach inside. (An IP literal never calls lookup:
 * the delivery checks it before connecting.) The request keeps the URL's host for Host and TLS SNI.
 */
export function guardedLookup(rules: TargetRules, resolve: Resolve = systemResolve) {
  return (hostname: string, options: { all?: boolean }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    resolveTarget(hostname, rules, resolve).then(
      (addresses) => (options?.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family)),
      (err: Error) => callback(Object.assign(err, { code: 'EWEBHOOKTARGET' }), ''),
    );
  };
}
