/**
 * tsbuild-patch(1), generated from the help text yargs prints (the top level's and each
 * command's `--help`): what `--help` says is what the manual says. Regenerate it after a change
 * to the commands or their help with:
 *
 *   npx tsx src/cli/man-page.ts     (writes docs/man/tsbuild-patch.1)
 *
 * test/unit/package/man-pages.test.ts renders it (man -l, groff -ww) and checks that it names
 * every command.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const MAN_PAGE = fileURLToPath(new URL('../../docs/man/tsbuild-patch.1', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** troff text: backslashes, leading dots and quotes escaped; dashes as \- (ASCII hyphen-minus). */
export function troffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/, '\\&$1');
}

interface Entry {
  term: string;
  description: string;
}

interface Section {
  title: string;
  entries: Entry[];
  /** Lines that are not two columns (e.g. a table of exit statuses), kept as they are. */
  verbatim: string[];
}

/** "Title:" at the start of a line opens a section of yargs' help. */
const SECTION = /^([A-Z][A-Za-z ]*):\s*$/;

/**
 * yargs' help: a usage line, a description, then sections ("Commands:", "Options:", ...) of
 * two-column entries (a term, at least two spaces, a description wrapped under its column).
 * Sections whose lines are not entries (the exit statuses) are kept verbatim.
 */
export function parseHelp(text: string): { usage: string; description: string; sections: Section[] } {
  const lines = text.replace(/\s+$/, '').split('\n');
  const usage = lines.shift()!.trim();
  const description: string[] = [];
  while (lines.length > 0 && !SECTION.test(lines[0]!)) description.push(lines.shift()!);
  const sections: Section[] = [];
  let section: Section | undefined;
  for (const line of lines) {
    const title = SECTION.exec(line);
    if (title) {
      section = { title: title[1]!, entries: [], verbatim: [] };
      sections.push(section);
      continue;
    }
    if (!section || line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    const [left, ...right] = line.trim().split(/ {2,}/);
    if (/^exit status/i.test(section.title)) {
      // "  0  built  every module was built": the status and its name, then what it means.
      const status = /^\s*(\d+)\s+(\S+)\s{2,}(.*)$/.exec(line);
      const previous = section.entries[section.entries.length - 1];
      if (status) section.entries.push({ term: `${status[1]} ${status[2]}`, description: status[3]! });
      else if (previous && indent > 0 && section.verbatim.length === 0) previous.description += ` ${line.trim()}`;
      else section.verbatim.push(line);
      continue;
    }
    const examples = section.title === 'Examples';
    const starts = examples ? indent <= 6 && left!.startsWith('tsbuild-patch') : indent <= 6;
    const twoColumns = section.verbatim.length === 0 && !/^\s*\d+\s/.test(line);
    const last = section.entries[section.entries.length - 1];
    if (!twoColumns) section.verbatim.push(line);
    else if (starts) section.entries.push({ term: left!, description: right.join(' ') });
    else if (last && examples && indent <= 6) {
      last.term += ` ${left}`;
      last.description += ` ${right.join(' ')}`;
    } else if (last) last.description += ` ${line.trim()}`;
    else section.verbatim.push(line);
  }
  for (const entry of sections.flatMap((s) => s.entries)) {
    entry.term = entry.term.replace(/\s+/g, ' ').trim();
    entry.description = entry.description.replace(/\s+/g, ' ').trim();
  }
  return { usage, description: description.join('\n').trim(), sections };
}

function renderSections(sections: Section[], heading: '.SH' | '.SS', prefix = ''): string[] {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`${heading} ${troffText(`${prefix}${section.title}`.toUpperCase())}`);
    for (const entry of section.entries) {
      out.push('.TP', `.B ${troffText(entry.term.replace(/\s+/g, ' '))}`);
      out.push(troffText(entry.description.replace(/\s+/g, ' ').trim()) || '\\&');
    }
    if (section.verbatim.length > 0)
      out.push(
        '.PP',
        ...(section.entries.length > 0
          ? [troffText(section.verbatim.join(' ').replace(/\s+/g, ' ').trim())]
          : ['.nf', ...section.verbatim.map(troffText), '.fi']),
      );
  }
  return out;
}

/** The page from the top level's help and each command's (name → its --help). */
export function renderManPage(version: string, top: string, commands: [string, string][]): string {
  const main = parseHelp(top);
  const [summary, ...rest] = main.description.split('\n\n');
  const out = [
    '.\\" Generated from the help text by src/cli/man-page.ts: edit the help, not this file.',
    `.TH TSBUILD\\-PATCH 1 "" "tsbuild-patch ${troffText(version)}" "User Commands"`,
    '.nh',
    '.ad l',
    '.SH NAME',
    `tsbuild-patch \\- ${troffText((summary ?? '').replace(/\.$/, '').replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase()))}`,
    '.SH SYNOPSIS',
    `.B ${troffText(main.usage)}`,
    ...commands.map(([name, help]) => `.br\n.B ${troffText(parseHelp(help).usage)}`),
    '.SH DESCRIPTION',
    ...rest.map((p) => `${troffText(p.replace(/\s+/g, ' '))}\n.PP`),
    troffText(
      'tsbuild-patch builds a livepatch module from kernel source patches (the default command), ' +
        'and packages, publishes and promotes such modules for the machines that load them ' +
        'with tsbuild-patch-ctl(8). Each command and its options follow, as its --help shows them.',
    ),
    ...renderSections(main.sections, '.SH'),
  ];
  for (const [name, help] of commands) {
    const parsed = parseHelp(help);
    out.push(`.SH COMMAND: ${troffText(name.toUpperCase())}`, `.B ${troffText(parsed.usage)}`, '.PP');
    if (parsed.description) out.push(troffText(parsed.description.replace(/\s+/g, ' ')));
    // Options every command shares with the top level (--help, --version) are not repeated.
    out.push(...renderSections(parsed.sections, '.SS'));
  }
  out.push(
    '.SH SEE ALSO',
    '.BR tsbuild\\-patch\\-ctl (8),',
    '.BR dpkg\\-deb (1),',
    '.BR reprepro (1),',
    '.BR lintian (1)',
  );
  return out.join('\n') + '\n';
}

/** Runs the CLI (from source, through tsx) for each help text and writes the page. */
export async function generateManPage(): Promise<string> {
  const { commands } = await import('./commands/index.js');
  const { toolVersion } = await import('../util/tool-version.js');
  const help = async (args: string[]) =>
    String(
      (
        await execa(`${ROOT}node_modules/.bin/tsx`, [`${ROOT}src/cli/main.ts`, ...args, '--help'], {
          env: { COLUMNS: '100' },
        })
      ).stdout,
    );
  const names = commands
    .map((c) => String(c.command).split(' ')[0]!)
    .filter((name) => name !== '$0' && !name.startsWith('$0'));
  const top = await help([]);
  const pages: [string, string][] = [];
  for (const name of names) pages.push([name, await help([name])]);
  return renderManPage(toolVersion(), top, pages);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(MAN_PAGE, await generateManPage());
  process.stdout.write(`${MAN_PAGE}\n`);
}
