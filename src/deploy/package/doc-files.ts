import { gzipSync } from 'node:zlib';
import type { DebFile } from './deb-file.js';

/**
 * What Debian policy (12.5, 12.7) asks of every binary package under /usr/share/doc/<package>/:
 * a copyright file, machine-readable (DEP-5), and the Debian changelog compressed with gzip -9n.
 */

/** gzip -9n: maximum compression, no name and no time stamp in the header (reproducible). */
export function gzip9n(text: string | Uint8Array): Buffer {
  // zlib writes mtime 0, no file name, XFL 2 (maximum compression) and OS 3 (Unix): gzip -9n's header.
  return gzipSync(text, { level: 9 });
}

/** Fill words into lines of at most `width` characters (a longer word stays whole). */
export function fill(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A license of the copyright file: its DEP-5 short name and its standard text. */
export interface Dep5License {
  name: string;
  text: string[];
}

/** GPL version 2 only: the Linux kernel's license, and tsbuild-patch's (package.json "license": "GPL-2.0-only"). */
export const GPL_2: Dep5License = {
  name: 'GPL-2',
  text: [
    'This program is free software; you can redistribute it and/or modify it under',
    'the terms of the GNU General Public License version 2 as published by the Free',
    'Software Foundation.',
    '',
    'This program is distributed in the hope that it will be useful, but WITHOUT ANY',
    'WARRANTY; without even the implied warranty of MERCHANTABILITY or FITNESS FOR A',
    'PARTICULAR PURPOSE. See the GNU General Public License for more details.',
    '',
    'On Debian systems, the full text of the GNU General Public License version 2',
    'can be found in /usr/share/common-licenses/GPL-2.',
  ],
};

export interface CopyrightSpec {
  upstreamName: string;
  /** Free text (filled), e.g. what the package holds and where it comes from. */
  comment: string;
  copyright: string[];
  license: Dep5License;
}

/** A field's continuation lines: one space, "." for an empty line. */
const continuation = (lines: string[]) => lines.map((l) => (l === '' ? ' .' : ` ${l}`));

/** /usr/share/doc/<package>/copyright in the machine-readable format 1.0 (DEP-5). */
export function renderCopyright(spec: CopyrightSpec): string {
  const [first, ...rest] = spec.copyright;
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    `Upstream-Name: ${spec.upstreamName}`,
    'Comment:',
    ...continuation(fill(spec.comment, 78)),
    '',
    'Files: *',
    `Copyright: ${first ?? ''}`,
    ...continuation(rest),
    `License: ${spec.license.name}`,
    ...continuation(spec.license.text),
    '',
  ].join('\n');
}

/** The UTC year of a time in seconds since the epoch. */
export const yearOf = (epochSeconds: number): number => new Date(Math.floor(epochSeconds) * 1000).getUTCFullYear();

/** RFC 2822 date as Debian changelogs write it: "Tue, 01 Dec 2026 00:00:00 +0000". */
export function changelogDate(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

export interface ChangelogSpec {
  package: string;
  version: string;
  maintainer: string;
  /** The entry's changes, one bullet each (filled to the changelog's width). */
  changes: string[];
  epoch: number;
}

/** One entry of a Debian changelog (the package's only one: each build describes itself). */
export function renderChangelog(spec: ChangelogSpec): string {
  const bullets = spec.changes.flatMap((change) => fill(change, 76).map((l, i) => (i === 0 ? `  * ${l}` : `    ${l}`)));
  return [
    `${spec.package} (${spec.version}) unstable; urgency=medium`,
    '',
    ...bullets,
    '',
    ` -- ${spec.maintainer}  ${changelogDate(spec.epoch)}`,
    '',
  ].join('\n');
}

/**
 * Native packages (a version without a Debian revision, e.g. "2") keep their changelog as
 * changelog.gz, others (e.g. "2-1") as changelog.Debian.gz: policy 12.7, and what lintian checks
 * (wrong-name-for-changelog-of-native-package).
 */
export function changelogFileName(version: string): string {
  return version.includes('-') ? 'changelog.Debian.gz' : 'changelog.gz';
}

/** The package's /usr/share/doc files: copyright and the gzip -9n changelog. */
export function docFiles(pkg: string, copyright: CopyrightSpec, changelog: Omit<ChangelogSpec, 'package'>): DebFile[] {
  const dir = `/usr/share/doc/${pkg}`;
  return [
    { from: { content: renderCopyright(copyright) }, to: `${dir}/copyright`, mode: 0o644 },
    {
      from: { content: gzip9n(renderChangelog({ package: pkg, ...changelog })) },
      to: `${dir}/${changelogFileName(changelog.version)}`,
      mode: 0o644,
    },
  ];
}
