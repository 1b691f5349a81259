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

/** One description line: empty lines become " .", others get the leading space. */
function descriptionLine(line: string): string {
  const clean = line.replace(/[\r\n]/g, ' ').trimEnd();
  return clean === '' ? ' .' : ` ${clean}`;
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
    ...fields.description.flatMap((paragraph, i) => [...(i > 0 ? [' .'] : []), ...paragraph.map(descriptionLine)]),
  ];
  return lines.join('\n') + '\n';
}
