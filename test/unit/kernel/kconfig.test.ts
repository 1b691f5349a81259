import { describe, expect, it } from 'vitest';
import { droppedOptions, type KconfigOption, parseKconfig, renderFragment } from '../../../src/kernel/kconfig.js';

const CONFIG = `#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.0 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"
CONFIG_64BIT=y
CONFIG_LIVEPATCH=y
CONFIG_MODULES=y
# CONFIG_TRIM_UNUSED_KSYMS is not set
CONFIG_NR_CPUS=64
CONFIG_LOCALVERSION=""
CONFIG_FRAME_WARN=2048
#CONFIG_NOT_A_LINE is not set
CONFIG_SERIAL_8250=m
`;

describe('parseKconfig', () => {
  it('maps set options to their raw value and unset ones to n, skipping comments', () => {
    const config = parseKconfig(CONFIG);
    expect(config.get('64BIT')).toBe('y');
    expect(config.get('SERIAL_8250')).toBe('m');
    expect(config.get('NR_CPUS')).toBe('64');
    expect(config.get('CC_VERSION_TEXT')).toBe('"gcc (Debian 12.2.0-14) 12.2.0"');
    expect(config.get('LOCALVERSION')).toBe('""');
    expect(config.get('TRIM_UNUSED_KSYMS')).toBe('n');
    expect(config.has('NOT_A_LINE')).toBe(false);
    expect(config.has('KPROBES')).toBe(false);
    expect(config.size).toBe(9);
  });
});

describe('renderFragment', () => {
  it('writes y/m/values as assignments and n as "is not set", one per line', () => {
    const options: KconfigOption[] = [
      { name: 'LIVEPATCH', value: 'y', why: 'livepatch' },
      { name: 'TRIM_UNUSED_KSYMS', value: 'n', why: 'exports' },
    ];
    expect(renderFragment(options)).toBe('CONFIG_LIVEPATCH=y\n# CONFIG_TRIM_UNUSED_KSYMS is not set\n');
  });

  it('round-trips through parseKconfig', () => {
    const options: KconfigOption[] = [
      { name: 'A', value: 'y', why: '' },
      { name: 'B', value: 'n', why: '' },
      { name: 'C', value: 'm', why: '' },
    ];
    const config = parseKconfig(renderFragment(options));
    expect(Object.fromEntries(config)).toEqual({ A: 'y', B: 'n', C: 'm' });
  });
});

describe('droppedOptions', () => {
  it('reports the options whose resolved value differs, an absent option counting as n', () => {
    const config = parseKconfig(CONFIG);
    const wanted: KconfigOption[] = [
      { name: 'LIVEPATCH', value: 'y', why: 'kept' },
      { name: 'TRIM_UNUSED_KSYMS', value: 'n', why: 'kept as not set' },
      { name: 'KPROBES', value: 'n', why: 'absent means n' },
      { name: 'SERIAL_8250', value: 'y', why: 'became a module' },
      { name: 'FTRACE', value: 'y', why: 'dropped' },
    ];
    expect(droppedOptions(config, wanted)).toEqual([
      { option: wanted[3], actual: 'm' },
      { option: wanted[4], actual: 'n' },
    ]);
  });
});
