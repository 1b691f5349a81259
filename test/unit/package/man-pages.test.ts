import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../src/cli/commands/index.js';
import { MAN_PAGE, parseHelp, renderManPage } from '../../../src/cli/man-page.js';

// The manual pages (tsbuild-patch(1) generated from the help text, tsbuild-patch-ctl(8) written
// in troff) render without warnings and name every command; the bash completion of
// tsbuild-patch-ctl completes its commands, options, patch names and releases.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CTL = join(ROOT, 'runtime/tsbuild-patch-ctl');
const CTL_PAGE = join(ROOT, 'runtime/tsbuild-patch-ctl.8');
const COMPLETION = join(ROOT, 'runtime/tsbuild-patch-ctl.bash-completion');

/** Rendered as man shows it, with the warnings lintian's manpages check asks for. */
async function render(page: string): Promise<string> {
  const env = { LC_ALL: 'C.UTF-8', MANWIDTH: '200' };
  const warnings = await execa('man', ['--warnings', '-E', 'UTF-8', '-l', '-Tutf8', '-Z', page], {
    env,
    reject: false,
  });
  expect(warnings.exitCode).toBe(0);
  expect(String(warnings.stderr)).toBe('');
  const groff = await execa('groff', ['-man', '-Tutf8', '-ww', '-z', page], { env, reject: false });
  expect(groff.exitCode).toBe(0);
  expect(String(groff.stderr)).toBe('');
  const text = await execa('man', ['-l', page], { env: { ...env, MAN_KEEP_FORMATTING: '' } });
  return String(text.stdout).replace(/.\x08/g, '');
}

/** The commands tsbuild-patch-ctl dispatches (its final case statement). */
async function ctlCommands(): Promise<string[]> {
  const script = await readFile(CTL, 'utf8');
  return [...script.matchAll(/^ {2}([a-z-]+)\) cmd_/gm)].map((m) => m[1]!);
}

describe('man pages', () => {
  it('tsbuild-patch(1) renders without warnings and names every command', { timeout: 60_000 }, async () => {
    const text = await render(MAN_PAGE);
    expect(text).toMatch(/^NAME\n\s+tsbuild-patch - /m);
    const names = commands.map((c) => String(c.command).split(' ')[0]!).filter((n) => n !== '$0');
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      expect(text, name).toContain(`tsbuild-patch ${name}`);
      expect(text, name).toContain(`COMMAND: ${name.toUpperCase()}`);
    }
  });

  it('tsbuild-patch-ctl(8) renders without warnings and names every command and exit status', async () => {
    const text = await render(CTL_PAGE);
    const names = await ctlCommands();
    expect(names).toEqual(expect.arrayContaining(['load', 'unload', 'list', 'load-installed', 'timeouts']));
    for (const name of names) expect(text, name).toContain(`tsbuild-patch-ctl ${name}`);
    for (const status of ['0', '1', '2', '3', '4', '5', '6'])
      expect(text).toMatch(new RegExp(`^EXIT STATUS\\n(.*\\n)*? +${status}\\s`, 'm'));
  });

  it('the generator reads two-column help, examples and the exit statuses', () => {
    const help = [
      'tsbuild-patch thing <x>',
      '',
      'Do a thing.',
      '',
      'Options:',
      '  -o, --output  where to write',
      '                it                                   [string]',
      'Examples:',
      '  tsbuild-patch thing a --with  short',
      '  --long-option                 and more',
      'Exit status:',
      '    0  done    all went well',
      '               really',
      '  130  interrupted  Ctrl-C',
      'A last line.',
    ].join('\n');
    const parsed = parseHelp(help);
    expect(parsed.usage).toBe('tsbuild-patch thing <x>');
    expect(parsed.description).toBe('Do a thing.');
    expect(parsed.sections.map((s) => s.title)).toEqual(['Options', 'Examples', 'Exit status']);
    expect(parsed.sections[0]!.entries).toEqual([{ term: '-o, --output', description: 'where to write it [string]' }]);
    expect(parsed.sections[1]!.entries).toEqual([
      { term: 'tsbuild-patch thing a --with --long-option', description: 'short and more' },
    ]);
    expect(parsed.sections[2]!.entries).toEqual([
      { term: '0 done', description: 'all went well really' },
      { term: '130 interrupted', description: 'Ctrl-C' },
    ]);
    expect(parsed.sections[2]!.verbatim).toEqual(['A last line.']);
    const page = renderManPage('9.9', help, [['thing', help]]);
    expect(page).toContain('.TH TSBUILD\\-PATCH 1 "" "tsbuild-patch 9.9"');
    expect(page).toContain('.SH COMMAND: THING');
  });
});

describe('bash completion of tsbuild-patch-ctl', () => {
  async function complete(words: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<string[]> {
    const script = [
      `source ${JSON.stringify(COMPLETION)}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_tsbuild_patch_ctl',
      'printf "%s\\n" "${COMPREPLY[@]}"',
      // The function is registered for the command.
      'complete -p tsbuild-patch-ctl >&2',
    ].join('\n');
    const result = await execa('bash', ['--norc', '--noprofile', '-c', script], { env, cwd, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain('complete -F _tsbuild_patch_ctl tsbuild-patch-ctl');
    return String(result.stdout).split('\n').filter(Boolean).sort();
  }

  it('completes the commands, each command the program has', async () => {
    expect(await complete(['tsbuild-patch-ctl', ''])).toEqual([...(await ctlCommands()), '--help'].sort());
    expect(await complete(['tsbuild-patch-ctl', 'lo'])).toEqual(['load', 'load-installed']);
    expect(await complete(['tsbuild-patch-ctl', 'un'])).toEqual(['uninstall', 'unload']);
  });

  it('completes options, .ko files, loaded patches, installed modules and releases', async () => {
    const tmp = await dir({ unsafeCleanup: true });
    try {
      const sysfs = join(tmp.path, 'sys');
      const store = join(tmp.path, 'store');
      for (const d of ['kernel/livepatch/livepatch_a', 'kernel/livepatch/livepatch_b'])
        await mkdir(join(sysfs, d), { recursive: true });
      await mkdir(join(store, '6.1.0-57-amd64'), { recursive: true });
      await mkdir(join(store, '6.1.0-50-amd64'), { recursive: true });
      await writeFile(join(store, '6.1.0-50-amd64/livepatch_old.ko'), '');
      const work = join(tmp.path, 'work');
      await mkdir(join(work, 'out'), { recursive: true });
      await writeFile(join(work, 'fix.ko'), '');
      await writeFile(join(work, 'notes.txt'), '');
      const env = { TSBP_SYSFS: sysfs, TSBP_STORE: store };
      expect(await complete(['tsbuild-patch-ctl', 'load', '--'], env)).toEqual(['--force', '--signal', '--timeout']);
      expect(await complete(['tsbuild-patch-ctl', 'load', '--timeout', ''], env)).toEqual([]);
      expect(await complete(['tsbuild-patch-ctl', 'load', ''], env, work)).toEqual(['fix.ko', 'out']);
      expect(await complete(['tsbuild-patch-ctl', 'unload', ''], env)).toEqual(['livepatch_a', 'livepatch_b']);
      expect(await complete(['tsbuild-patch-ctl', 'signal', 'livepatch_b'], env)).toEqual(['livepatch_b']);
      expect(await complete(['tsbuild-patch-ctl', 'install', '--release', '6.1.0-5'], env)).toEqual(
        expect.arrayContaining(['6.1.0-50-amd64', '6.1.0-57-amd64']),
      );
      expect(await complete(['tsbuild-patch-ctl', 'uninstall', '--release', '6.1.0-50-amd64', ''], env)).toEqual([
        'livepatch_old',
      ]);
      expect(await complete(['tsbuild-patch-ctl', 'list', ''], env)).toEqual([]);
      expect(await complete(['tsbuild-patch-ctl', 'mark-good', '-'], env)).toEqual(['--wait']);
      // The streams of the store's modules (their .modinfo, as modinfo reads it).
      const source = join(tmp.path, 'stream.c');
      await writeFile(
        source,
        '__attribute__((used, section(".modinfo"))) static const char m[] = "name=livepatch_cmdline_2\\0tsbuild_patch_stream=cmdline";\n',
      );
      await execa('gcc', ['-c', source, '-o', join(store, '6.1.0-57-amd64/livepatch_cmdline_2.ko')]);
      expect(await complete(['tsbuild-patch-ctl', 'rollback', ''], env)).toEqual(['cmdline']);
      expect(await complete(['tsbuild-patch-ctl', 'remove-stream', 'c'], env)).toEqual(['cmdline']);
      expect(await complete(['tsbuild-patch-ctl', 'rollback', '--'], env)).toEqual(['--signal', '--timeout']);
      await mkdir(join(store, '.crash-guard/held'), { recursive: true });
      await writeFile(join(store, '.crash-guard/held/livepatch_crashy'), 'why\n');
      expect(await complete(['tsbuild-patch-ctl', 'clear-crash-guard', ''], env)).toEqual(['livepatch_crashy']);
    } finally {
      await tmp.cleanup();
    }
  });
});
