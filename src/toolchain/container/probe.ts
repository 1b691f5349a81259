import { engineCall, type Engine } from './engine.js';

export type ProbeResult = { ok: true; version: string } | { ok: false; reason: string };

const PROBE_TIMEOUT_MS = 20_000;
const probes = new Map<string, Promise<ProbeResult>>();

function firstLines(text: string, count = 3): string {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, count)
    .join('; ');
}

async function probeOnce(engine: Engine): Promise<ProbeResult> {
  // `info` talks to the engine's daemon/storage and, for podman, loads the configured runtime:
  // a missing binary, a stopped dockerd or a missing runc all show up here in well under a second.
  const format = engine.kind === 'podman' ? '{{.Version.Version}} {{.Host.OCIRuntime.Name}}' : '{{.ServerVersion}}';
  const result = await engineCall(engine, ['info', '--format', format], { timeout: PROBE_TIMEOUT_MS });
  if (result.failed) {
    const code = (result as { code?: string }).code;
    if (code === 'ENOENT') return { ok: false, reason: `'${engine.binary}' is not installed` };
    if (result.timedOut)
      return { ok: false, reason: `'${engine.binary} info' did not answer within ${PROBE_TIMEOUT_MS / 1000} s` };
    return {
      ok: false,
      reason: `'${engine.binary} info' failed: ${firstLines(String(result.all ?? result.shortMessage))}`,
    };
  }
  const version = result.stdout.trim();
  if (version === '') return { ok: false, reason: `'${engine.binary} info' printed no server version` };
  return { ok: true, version };
}

/** Whether ENGINE can be used right now; checked once per process. */
export function probeEngine(engine: Engine): Promise<ProbeResult> {
  const key = [engine.binary, ...engine.globalArgs].join(' ');
  let probe = probes.get(key);
  if (!probe) {
    probe = probeOnce(engine);
    probes.set(key, probe);
  }
  return probe;
}
