import { REPORT_PREFIX } from './guest-files.js';

/** What the guest driver reported on the serial console during one boot. */
export interface DriverReport {
  /** Guest uptime (s) when the driver started the script, or undefined if it never did. */
  beganAt: number | undefined;
  /** The script's exit status and the guest uptime when it ended. */
  status: number | undefined;
  endedAt: number | undefined;
  values: Record<string, string>;
  /** The second disk could not be mounted. */
  noDisk: boolean;
}

/** Read the driver's `@@TSBP ...` lines out of the console text (other lines are ignored). */
export function parseDriverReport(console: string): DriverReport {
  const report: DriverReport = { beganAt: undefined, status: undefined, endedAt: undefined, values: {}, noDisk: false };
  for (const raw of console.split(/\r?\n/)) {
    const at = raw.indexOf(`${REPORT_PREFIX} `);
    if (at < 0) continue;
    const words = raw
      .slice(at + REPORT_PREFIX.length + 1)
      .trim()
      .split(/\s+/);
    switch (words[0]) {
      case 'begin':
        report.beganAt = Number(words[1]);
        break;
      case 'end':
        report.status = Number(words[1]);
        report.endedAt = Number(words[2]);
        break;
      case 'value':
        if (words[1]) report.values[words[1]] = Buffer.from(words[2] ?? '', 'base64').toString('utf8');
        break;
      case 'nodisk':
        report.noDisk = true;
        break;
    }
  }
  return report;
}
