import { fill } from './doc-files.js';

/** A binary package's DEBIAN/control: fields in order, Description folded as Debian expects. */
export interface ControlFields {
  package: string;
  version: string;
  architecture: string;
  maintainer: string;
  installedSizeKiB: number;
  depends: string[];
  section: string;
  priority: string;
  /** Extra fields (e.g. X-Kernel-Releases), written after the standard ones. */
  extra?: Record<string, string>;
  synopsis: string;
  /** Long description: paragraphs of lines; a line starting with a space is shown verbatim. */
  description: string[][];
}

/** Description lines are at most this long with their leading space (lintian: extended-description-line-too-long). */
export const DESCRIPTION_WIDTH = 80;
/** The synopsis (the Description field's first line) is at most this long (lintian: synopsis-too-long). */
export const SYNOPSIS_WIDTH = 80;

/**
 * One paragraph's lines: runs of ordinary lines are filled to DESCRIPTION_WIDTH (as apt would
 * show them anyway); a line starting with a space is kept as it is (shown verbatim); empty
 * lines become " .".
 */
function paragraphLines(paragraph: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length > 0) out.push(...fill(run.join(' '), DESCRIPTION_WIDTH - 1).map((l) => ` ${l}`));
    run = [];
  };
  for (const raw of paragraph) {
    const line = raw.replace(/[\r\n]/g, ' ').trimEnd();
    if (line === '') {
      flush();
      out.push(' .');
    } else if (line.startsWith(' ')) {
      flush();
      out.push(` ${line}`);
    } else run.push(line);
  }
  flush();
  return out;
}

export function renderControl(fields: ControlFields): string {
  const lines = [
    `Package: ${fields.package}`,
    `Version: ${fields.version}`,
    `Architecture: ${fields.architecture}`,
    `Maintainer: ${fields.maintainer}`,
    `Installed-Size: ${fields.installedSizeKiB}`,
    ...(fields.depends.length > 0 ? [`Depends: ${fields.depends.join(', ')}`] : []),
    `Section: ${fields.section}`,
    `Priority: ${fields.priority}`,
    ...Object.entries(fields.extra ?? {}).map(([k, v]) => `${k}: ${v}`),
    `Description: ${fields.synopsis.replace(/\s+/g, ' ').trim()}`,
    ...fields.description.flatMap((paragraph, i) => [...(i > 0 ? [' .'] : []), ...paragraphLines(paragraph)]),
  ];
  return lines.join('\n') + '\n';
}
