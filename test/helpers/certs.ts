import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { requireBinary } from './binaries.js'

const run = promisify(execFile)

/** A PEM certificate and its private key, as files and as text. */
export interface CertPair {
  certPath: string
  keyPath: string
  /** PEM text of the certificate. */
  cert: string
  /** PEM text of the private key (PKCS#8). */
  key: string
}

/** The test PKI made by {@link makeCerts}. */
export interface Certs {
  dir: string
  /** The CA that the broker trusts for clients and that signs the broker's certificate. */
  ca: CertPair
  /** Broker certificate: CN=localhost, SAN DNS:localhost and IP:127.0.0.1. */
  server: CertPair
  /** Client certificate signed by `ca`, CN = `clientCn`. */
  client: CertPair
  clientCn: string
  /** An unrelated CA, unknown to the broker. */
  otherCa: CertPair
  /** A client certificate with the same CN signed by `otherCa`: the broker must reject it. */
  otherClient: CertPair
}

/** Options of {@link makeCerts}. */
export interface MakeCertsOptions {
  /** CN of the client certificates; default a Mainflux-like thing id. */
  clientCn?: string
  /** Validity; default 2 days. */
  days?: number
}

/**
 * Makes a small PKI with the openssl CLI in `dir` (which must exist): EC P-256 keys, because RSA
 * key generation is what makes such fixtures slow.
 */
export async function makeCerts(dir: string, opts: MakeCertsOptions = {}): Promise<Certs> {
  const openssl = requireBinary('openssl')
  const clientCn = opts.clientCn ?? '5a1f8c2e-3b7d-4e90-a6c1-0f2d9b8e7c34'
  const days = String(opts.days ?? 2)
  const ctx: Ctx = { openssl, dir, days }
  await writeFile(join(dir, 'empty.cnf'), '')

  const [ca, otherCa] = await Promise.all([
    makeCa(ctx, 'ca', 'mainflux-export test CA'),
    makeCa(ctx, 'other-ca', 'unrelated test CA'),
  ])
  const [server, client, otherClient] = await Promise.all([
    makeLeaf(ctx, 'server', 'localhost', ca, [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'extendedKeyUsage=serverAuth',
    ]),
    makeLeaf(ctx, 'client', clientCn, ca, ['extendedKeyUsage=clientAuth']),
    makeLeaf(ctx, 'other-client', clientCn, otherCa, ['extendedKeyUsage=clientAuth']),
  ])
  return { dir, ca, server, client, clientCn, otherCa, otherClient }
}

interface Ctx {
  openssl: string
  dir: string
  days: string
}

async function openssl(ctx: Ctx, args: string[]): Promise<void> {
  try {
    // An empty config file keeps the machine's openssl.cnf (which may add its own extensions, or be
    // missing) out of the certificates: every extension below is explicit.
    await run(ctx.openssl, args, { cwd: ctx.dir, env: { ...process.env, OPENSSL_CONF: join(ctx.dir, 'empty.cnf') } })
  } catch (err: unknown) {
    const stderr = (err as { stderr?: unknown }).stderr
    throw new Error(`openssl ${args[0] ?? ''} failed: ${typeof stderr === 'string' ? stderr.trim() : String(err)}`, {
      cause: err,
    })
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

async function makeCa(ctx: Ctx, name: string, cn: string): Promise<CertPair> {
  const paths = pairPaths(ctx, name)
  const ext = await writeExt(ctx, name, [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier=hash',
  ])
  await openssl(ctx, ['req', '-x509', ...EC_KEY, '-keyout', paths.keyPath, '-out', paths.certPath,
    '-days', ctx.days, '-subj', `/CN=${cn}`, '-config', ext.cnf, '-extensions', 'ext', '-set_serial', serial()])
  return readPair(paths)
}

async function makeLeaf(ctx: Ctx, name: string, cn: string, issuer: CertPair, extensions: string[]): Promise<CertPair> {
  const paths = pairPaths(ctx, name)
  const csr = join(ctx.dir, `${name}.csr`)
  const ext = await writeExt(ctx, name, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'authorityKeyIdentifier=keyid',
    ...extensions,
  ])
  await openssl(ctx, ['req', '-new', ...EC_KEY, '-keyout', paths.keyPath, '-out', csr, '-subj', `/CN=${cn}`,
    '-config', ext.cnf])
  await openssl(ctx, ['x509', '-req', '-in', csr, '-CA', issuer.certPath, '-CAkey', issuer.keyPath,
    '-set_serial', serial(), '-days', ctx.days, '-out', paths.certPath, '-extfile', ext.cnf, '-extensions', 'ext'])
  return readPair(paths)
}

/** A config file with one `[ext]` section, and the `[req]` section that `openssl req` insists on. */
async function writeExt(ctx: Ctx, name: string, lines: string[]): Promise<{ cnf: string }> {
  const cnf = join(ctx.dir, `${name}.cnf`)
  await writeFile(cnf, `[req]\ndistinguished_name=dn\n[dn]\n[ext]\n${lines.join('\n')}\n`)
  return { cnf }
}

function pairPaths(ctx: Ctx, name: string): { certPath: string; keyPath: string } {
  return { certPath: join(ctx.dir, `${name}.crt`), keyPath: join(ctx.dir, `${name}.key`) }
}

async function readPair(p: { certPath: string; keyPath: string }): Promise<CertPair> {
  const [cert, key] = await Promise.all([readFile(p.certPath, 'utf8'), readFile(p.keyPath, 'utf8')])
  return { ...p, cert, key }
}

// Random serials: two certificates from one CA with the same serial would be rejected by TLS stacks.
function serial(): string {
  return `0x${randomBytes(8).toString('hex')}`
}
