import { provision } from './e2e/provision';
import { ensureMinio } from './support/minio';
import { DVC_S3_VERSION, DVC_VERSION, DVCLIVE_VERSION, ensureDvc, ensureDvclive, ensureDvcS3, ensureGto, GTO_VERSION } from './support/peers';

/**
 * Every peer the chosen suites run against, made ready before the first test, each with its own
 * progress lines (an install prints its own as it starts) and no test timeout: on a fresh machine building MinIO alone takes minutes,
 * more than any hook's limit. Each is cached under ~/.cache/cairn and made once (README.md
 * lists them with their time and size).
 */
interface Peer {
  name: string;
  suites: string[];
  ensure(): unknown;
}

const PEERS: Peer[] = [
  { name: `dvc ${DVC_VERSION} (PyPI, in a virtualenv)`, suites: ['unit', 'interop', 'security', 'e2e'], ensure: ensureDvc },
  { name: `dvc ${DVC_VERSION} + dvc-s3 ${DVC_S3_VERSION}`, suites: ['interop', 'security'], ensure: ensureDvcS3 },
  { name: `dvc ${DVC_VERSION} + dvclive ${DVCLIVE_VERSION}`, suites: ['interop'], ensure: ensureDvclive },
  { name: `gto ${GTO_VERSION} (PyPI, in a virtualenv)`, suites: ['interop', 'e2e'], ensure: ensureGto },
  { name: 'MinIO (S3 server, built with Go)', suites: ['interop', 'security'], ensure: ensureMinio },
  { name: 'VS Code server (code-server) for the e2e suite', suites: ['e2e'], ensure: () => provision({ log: (line) => process.stderr.write(`  ${line}\n`) }) },
];

/** Makes the peers of `suites` ready; throws (naming the peer) when one cannot be made. */
export async function provisionPeers(suites: string[], log = (line: string) => process.stderr.write(`${line}\n`)): Promise<void> {
  for (const peer of PEERS.filter((p) => p.suites.some((s) => suites.includes(s)))) {
    const started = Date.now();
    try {
      await peer.ensure();
    } catch (err) {
      throw new Error(`could not provision ${peer.name}: ${(err as Error).message}`);
    }
    const seconds = (Date.now() - started) / 1000;
    log(`peer: ${peer.name}: ${seconds < 1 ? 'ready (cached)' : `made in ${seconds.toFixed(0)} s`}`);
  }
}
