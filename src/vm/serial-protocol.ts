/**
 * How the guest reports to the host over the serial console. Kernel messages share that
 * console, so every payload is framed and base64-encoded, with its byte count in the closing
 * marker; a frame that does not decode to that count is reported, never silently accepted.
 *
 *   @@TSBP:READY@@                 init is running
 *   @@TSBP:BEGIN <tag>@@           payload <tag> follows, base64 lines
 *   @@TSBP:END <tag> <bytes>@@
 *   @@TSBP:EXIT <status>@@         the script's exit status
 */
export const MARK = '@@TSBP:';

export interface GuestReport {
  ready: boolean;
  exitStatus: number | undefined;
  payloads: Map<string, string>;
  problems: string[];
}

const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;

export function parseGuestReport(console: string): GuestReport {
  const report: GuestReport = { ready: false, exitStatus: undefined, payloads: new Map(), problems: [] };
  let open: { tag: string; lines: string[] } | undefined;
  for (const raw of console.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const at = line.indexOf(MARK);
    if (at < 0) {
      if (open && BASE64_LINE.test(line)) open.lines.push(line);
      continue;
    }
    const marker = line.slice(at);
    let match: RegExpExecArray | null;
    if (marker.startsWith('@@TSBP:READY@@')) {
      report.ready = true;
    } else if ((match = /^@@TSBP:BEGIN (\w+)@@/.exec(marker))) {
      open = { tag: match[1] ?? '', lines: [] };
    } else if ((match = /^@@TSBP:END (\w+) (\d+)@@/.exec(marker))) {
      const tag = match[1] ?? '';
      const bytes = Number(match[2]);
      if (!open || open.tag !== tag) {
        report.problems.push(`end of ${tag} without its beginning`);
      } else {
        const data = Buffer.from(open.lines.join(''), 'base64');
        if (data.length !== bytes) {
          report.problems.push(`${tag}: received ${data.length} bytes, guest sent ${bytes} (console interleaving?)`);
        }
        report.payloads.set(tag, data.toString('utf8'));
      }
      open = undefined;
    } else if ((match = /^@@TSBP:EXIT (\d+)@@/.exec(marker))) {
      report.exitStatus = Number(match[1]);
    }
  }
  if (open) report.problems.push(`${open.tag}: output ended inside the frame`);
  return report;
}
