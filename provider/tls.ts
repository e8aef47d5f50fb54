/**
 * The provider's TLS certificate for go-plugin's mutual TLS: a fresh
 * self-signed ECDSA P-256 certificate per process (Terraform pins it from
 * the handshake line), built with @peculiar/x509 — a hand-written encoder
 * once produced certificates OpenSSL refused now and then.
 */
import { randomBytes, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its algorithms with tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface Certificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** DER of the certificate: the handshake line carries it (base64). */
  readonly certDer: Buffer;
}

export async function selfSignedCertificate(): Promise<Certificate> {
  // Node's WebCrypto is the standard one; its TypeScript types are Node's own.
  x509.cryptoProvider.set(webcrypto as never);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial in minimal DER: first byte 0x01..0x7f.
    serialNumber: `${(1 + ((randomBytes(1)[0] as number) % 127)).toString(16).padStart(2, '0')}${randomBytes(15).toString('hex')}`,
    name: 'CN=localhost, O=cdktf-apigw provider',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 30 * 24 * 3600_000),
    keys: keys as never,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem: keyPem.replace(/\n\n/g, '\n'), certDer: Buffer.from(cert.rawData) };
}
