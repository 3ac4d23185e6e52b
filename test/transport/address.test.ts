import { expect } from 'chai';
import fc from 'fast-check';
import { AddressError, formatAddr, isIpv6Host, parseAddr } from '../../src/net/address.js';

describe('address', () => {
  it('parses IPv4, hostnames and bracketed IPv6', () => {
    expect(parseAddr('127.0.0.1:7946')).to.deep.equal({ host: '127.0.0.1', port: 7946 });
    expect(parseAddr('node-0.grapevine.svc:0')).to.deep.equal({ host: 'node-0.grapevine.svc', port: 0 });
    expect(parseAddr('[::1]:7946')).to.deep.equal({ host: '::1', port: 7946 });
    expect(parseAddr('[fe80::1%eth0]:65535')).to.deep.equal({ host: 'fe80::1%eth0', port: 65535 });
  });

  for (const bad of [
    '',
    '127.0.0.1',
    ':7946',
    '127.0.0.1:',
    '127.0.0.1:65536',
    '127.0.0.1:-1',
    '127.0.0.1:80a',
    '::1:7946',
    '[::1]7946',
    '[::1]:',
    '[]:80',
    '[1.2.3.4]:80',
    'a b:80',
    '127.0.0.1:123456',
  ]) {
    it(`rejects '${bad}' with a clear AddressError`, () => {
      expect(() => parseAddr(bad))
        .to.throw(AddressError)
        .with.property('message', `invalid address '${bad}': expected HOST:PORT`);
    });
  }

  it('formats with brackets for IPv6 only', () => {
    expect(formatAddr('::1', 80)).to.equal('[::1]:80');
    expect(formatAddr('10.1.2.3', 80)).to.equal('10.1.2.3:80');
    expect(isIpv6Host('::')).to.equal(true);
    expect(isIpv6Host('0.0.0.0')).to.equal(false);
  });

  it('round-trips formatAddr → parseAddr for IPv4 and IPv6 hosts and every port', () => {
    const v4 = fc.ipV4();
    const v6 = fc.ipV6();
    fc.assert(
      fc.property(fc.oneof(v4, v6), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        expect(parseAddr(formatAddr(host, port))).to.deep.equal({ host, port });
      }),
    );
  });
});
