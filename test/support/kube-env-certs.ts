// TLS material for a throwaway control plane, made with the openssl CLI (Node has no X.509
// issuing API): a CA, an apiserver serving cert for 127.0.0.1/localhost signed by it, and the
// service-account signing key pair.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KubeCerts {
  caCert: string; // file paths
  caKey: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
  /** The CA certificate PEM, for clients. */
  caPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim()}`);
  }
}

export async function makeKubeCerts(dir: string): Promise<KubeCerts> {
  const p = (name: string): string => join(dir, name);
  const certs: Omit<KubeCerts, 'caPem'> = {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
  // EC keys: generated in milliseconds, where RSA-2048 takes a noticeable fraction of a second.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    ['req', '-x509', ...ec, '-keyout', certs.caKey, '-out', certs.caCert, '-days', '2']
      .concat(['-subj', '/CN=grapevine-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']),
    dir,
  );
  await openssl(
    ['req', ...ec, '-keyout', certs.servingKey, '-out', p('apiserver.csr'), '-subj', '/CN=kube-apiserver'],
    dir,
  );
  // The SANs clients check: 127.0.0.1 (what we dial) plus the in-cluster names, which some
  // clients (e.g. the controller-manager's in-cluster defaults) may use.
  await writeFile(
    p('apiserver.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1',
      '',
    ].join('\n'),
  );
  await openssl(
    ['x509', '-req', '-in', p('apiserver.csr'), '-CA', certs.caCert, '-CAkey', certs.caKey].concat([
      '-CAcreateserial',
      '-out',
      certs.servingCert,
      '-days',
      '2',
      '-extfile',
      p('apiserver.ext'),
    ]),
    dir,
  );
  // Service-account tokens are signed with RS256 by default: an RSA key is required here.
  await openssl(
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', certs.saKey],
    dir,
  );
  await openssl(['pkey', '-in', certs.saKey, '-pubout', '-out', certs.saPub], dir);
  return { ...certs, caPem: await readFile(certs.caCert, 'utf8') };
}
