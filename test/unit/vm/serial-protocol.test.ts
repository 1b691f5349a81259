import { describe, expect, it } from 'vitest';
import { parseGuestReport } from '../../../src/vm/serial-protocol.js';

const frame = (tag: string, text: string) => {
  const b64 = Buffer.from(text).toString('base64');
  const lines = b64.match(/.{1,76}/g) ?? [];
  return [`@@TSBP:BEGIN ${tag}@@`, ...lines, `@@TSBP:END ${tag} ${Buffer.byteLength(text)}@@`];
};

describe('guest report parsing', () => {
  it('extracts payloads and the exit status through kernel noise and CRLF', () => {
    const output = 'line one\nline two with ünïcode\n'.repeat(20);
    const klog = '[    0.000000] Linux version 6.1\n';
    const consoleText = [
      '[    0.100000] booting',
      '@@TSBP:READY@@',
      ...frame('OUTPUT', output).slice(0, 3),
      '[    1.234567] livepatch: patching complete',
      ...frame('OUTPUT', output).slice(3),
      ...frame('KLOG', klog),
      '@@TSBP:EXIT 7@@',
    ].join('\r\n');
    const report = parseGuestReport(consoleText);
    expect(report.problems).toEqual([]);
    expect(report.ready).toBe(true);
    expect(report.exitStatus).toBe(7);
    expect(report.payloads.get('OUTPUT')).toBe(output);
    expect(report.payloads.get('KLOG')).toBe(klog);
  });

  it('reports a frame whose content was damaged instead of accepting it', () => {
    const lines = frame('OUTPUT', 'a'.repeat(200));
    lines.splice(2, 1); // a lost base64 line
    const report = parseGuestReport(['@@TSBP:READY@@', ...lines, '@@TSBP:EXIT 0@@'].join('\n'));
    expect(report.problems.join()).toMatch(/OUTPUT: received \d+ bytes, guest sent 200/);
  });

  it('reports a run that ended inside a frame and has no exit status', () => {
    const report = parseGuestReport(['@@TSBP:READY@@', ...frame('OUTPUT', 'xyz').slice(0, 2)].join('\n'));
    expect(report.exitStatus).toBeUndefined();
    expect(report.problems).toEqual(['OUTPUT: output ended inside the frame']);
  });

  it('finds markers printed after other text on the same line', () => {
    const report = parseGuestReport('garbage@@TSBP:READY@@\nxx@@TSBP:EXIT 0@@');
    expect(report.ready).toBe(true);
    expect(report.exitStatus).toBe(0);
  });
});
