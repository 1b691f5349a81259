import { UserError } from '../../util/errors.js';

/**
 * The Maintainer when neither --maintainer nor the environment names one. The address is under
 * the reserved top-level domain .invalid (RFC 2606): a syntactically valid address (lintian
 * accepts it, unlike root@localhost) that says plainly it reaches nobody. A warning says so.
 */
export const DEFAULT_MAINTAINER = 'tsbuild-patch <tsbuild-patch@packages.invalid>';
const DEFAULT_ADDRESS = 'tsbuild-patch@packages.invalid';

export interface Maintainer {
  /** "Name <address>" */
  value: string;
  /** Where it came from: the option, the environment (which variables), or the default. */
  source: 'option' | 'environment' | 'default';
}

/** "Name <address>" → its parts; a bare address → no name. */
function parseContact(text: string): { name?: string; address?: string } {
  const match = /^\s*(.*?)\s*<\s*([^<>\s]+)\s*>\s*$/.exec(text);
  if (match) return { ...(match[1] ? { name: match[1] } : {}), address: match[2]! };
  const bare = text.trim();
  return bare ? { address: bare } : {};
}

/** Refuse what would break the control file or that dpkg and lintian would not take as a contact. */
export function checkMaintainer(value: string): string {
  const { name, address } = parseContact(value);
  if (!name || !address || /[\r\n]/.test(value) || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address))
    throw new UserError(`Maintainer "${value}" is not of the form "Full Name <user@host.domain>"`, {
      hint: 'give --maintainer "Name <email>", or set DEBFULLNAME and DEBEMAIL as for dch',
    });
  return `${name} <${address}>`;
}

/**
 * The Maintainer field the way Debian's tools (dch, dh_make) choose it: the option; else
 * DEBFULLNAME and DEBEMAIL (DEBEMAIL may be "Name <address>"; DEBFULLNAME wins for the name),
 * then NAME and EMAIL; else DEFAULT_MAINTAINER. A name without an address gets the default
 * address; an address without a name gets the name "tsbuild-patch".
 */
export function resolveMaintainer(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Maintainer {
  if (option !== undefined && option.trim() !== '') return { value: checkMaintainer(option), source: 'option' };
  const fromDebEmail = parseContact(env['DEBEMAIL'] ?? '');
  const fromEmail = parseContact(env['EMAIL'] ?? '');
  const name = env['DEBFULLNAME']?.trim() || fromDebEmail.name || env['NAME']?.trim() || fromEmail.name;
  const address = fromDebEmail.address ?? fromEmail.address;
  if (!name && !address) return { value: DEFAULT_MAINTAINER, source: 'default' };
  return {
    value: checkMaintainer(`${name || 'tsbuild-patch'} <${address ?? DEFAULT_ADDRESS}>`),
    source: 'environment',
  };
}
