import { generateKeyPairSync } from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import {
  decryptResource,
  encryptResource,
  parseAuthorization,
  requestMessage,
  responseMessage,
  rfc3339China,
  signRsaSha256,
  wechatpaySignatureProblem,
} from '../../payments/wechatpay/signing';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = 'abcdefghijklmnopqrstuvwxyz012345';

describe('WeChat Pay v3 primitives against wechatpay-axios-plugin', () => {
  it('builds the same request and response messages (trailing \\n included, "" body for GET/204)', () => {
    expect(requestMessage('GET', '/v3/x?mchid=1', 1700000000, 'N', '')).toBe(Formatter.request('GET', '/v3/x?mchid=1', 1700000000, 'N', ''));
    expect(requestMessage('post', '/v3/y', 1, 'N', '{"a":1}')).toBe('POST\n/v3/y\n1\nN\n{"a":1}\n');
    expect(responseMessage(1, 'N', '').toString()).toBe(Formatter.response(1, 'N', ''));
  });

  it('signatures interoperate both ways', () => {
    const msg = requestMessage('POST', '/v3/refund/domestic/refunds', 1, 'N', '{"reason":"退款"}');
    expect(Rsa.verify(msg, signRsaSha256(msg, privateKey), publicKey)).toBe(true);
    const theirs = Rsa.sign(msg, privateKey);
    expect(signRsaSha256(msg, privateKey)).toBe(theirs); // PKCS#1 v1.5 is deterministic
  });

  it("parses the plugin's Authorization field order and rejects other schemes", () => {
    const header = Formatter.authorization('1900000001', 'NONCE', 'c2ln', 1700000000, 'SERIAL1');
    expect(parseAuthorization(header)).toEqual({ mchid: '1900000001', nonce_str: 'NONCE', signature: 'c2ln', timestamp: '1700000000', serial_no: 'SERIAL1' });
    expect(parseAuthorization(header.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SHA256-RSA'))).toBeUndefined();
    expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1"')).toBeUndefined();
  });

  it('AES-256-GCM resources interoperate and a flipped bit or wrong AAD is refused', () => {
    const ours = encryptResource('{"out_refund_no":"R1"}', key, '0123456789ab', 'refund');
    expect(Aes.AesGcm.decrypt(ours, key, '0123456789ab', 'refund')).toBe('{"out_refund_no":"R1"}');
    const theirs = Aes.AesGcm.encrypt('{"x":1}', key, '0123456789ab', 'transaction');
    expect(decryptResource({ algorithm: 'AEAD_AES_256_GCM', ciphertext: theirs, nonce: '0123456789ab', associated_data: 'transaction' }, key)).toBe('{"x":1}');
    for (let i = 0; i < Buffer.from(ours, 'base64').length; i += 5) {
      const bytes = Buffer.from(ours, 'base64');
      bytes[i] ^= 0x01;
      expect(() => decryptResource({ algorithm: 'AEAD_AES_256_GCM', ciphertext: bytes.toString('base64'), nonce: '0123456789ab', associated_data: 'refund' }, key)).toThrow();
    }
    expect(() => decryptResource({ algorithm: 'AEAD_AES_256_GCM', ciphertext: ours, nonce: '0123456789ab', associated_data: 'transaction' }, key)).toThrow();
    expect(() => decryptResource({ algorithm: 'AEAD_AES_256_CBC', ciphertext: ours, nonce: '0123456789ab', associated_data: 'refund' }, key)).toThrow(/unsupported/);
  });

  it('response/notification signature checks: window edges, serial, probe, raw bytes', () => {
    const keys = new Map([['PUB_KEY_ID_1', publicKey]]);
    const body = Buffer.from('{"a": 1}');
    const at = (ts: number, b: Buffer = body, serial = 'PUB_KEY_ID_1') => ({
      'Wechatpay-Timestamp': String(ts),
      'Wechatpay-Nonce': 'n',
      'Wechatpay-Serial': serial,
      'Wechatpay-Signature': signRsaSha256(responseMessage(ts, 'n', b), privateKey),
    });
    const now = 1_700_000_000_000;
    expect(wechatpaySignatureProblem(at(1_700_000_000), body, keys, now)).toBeUndefined();
    expect(wechatpaySignatureProblem(at(1_700_000_000 - 299), body, keys, now)).toBeUndefined();
    expect(wechatpaySignatureProblem(at(1_700_000_000 - 300), body, keys, now)).toMatch(/window/);
    expect(wechatpaySignatureProblem(at(1_700_000_000 + 300), body, keys, now)).toMatch(/window/);
    expect(wechatpaySignatureProblem(at(1_700_000_000, body, 'PUB_KEY_ID_2'), body, keys, now)).toMatch(/unknown Wechatpay-Serial/);
    // Re-serialising the JSON (dropping the space) must not verify: raw bytes only.
    expect(wechatpaySignatureProblem(at(1_700_000_000), Buffer.from('{"a":1}'), keys, now)).toMatch(/bad Wechatpay-Signature/);
    expect(wechatpaySignatureProblem({ ...at(1_700_000_000), 'Wechatpay-Signature': 'WECHATPAY/SIGNTEST/abc' }, body, keys, now)).toMatch(/SIGNTEST/);
    expect(wechatpaySignatureProblem({}, body, keys, now)).toMatch(/missing/);
    // 204: the signature is over an empty body.
    expect(wechatpaySignatureProblem(at(1_700_000_000, Buffer.alloc(0)), Buffer.alloc(0), keys, now)).toBeUndefined();
  });

  it('formats time_expire in China time', () => {
    expect(rfc3339China(new Date('2024-01-31T16:30:00Z'))).toBe('2024-02-01T00:30:00+08:00');
  });
});
