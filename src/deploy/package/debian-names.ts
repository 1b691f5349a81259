import { UserError } from '../../util/errors.js';

/** Debian policy 5.6.1: lower case letters, digits, + - . ; at least two characters, alphanumeric first. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** Debian policy 5.6.12: [epoch:]upstream[-revision], starting with a digit. */
const VERSION = /^(\d+:)?\d[A-Za-z0-9.+~-]*$/;

export function checkPackageName(name: string): string {
  if (!PACKAGE_NAME.test(name)) {
    throw new UserError(`"${name}" is not a Debian package name`, {
      hint: 'lower case letters, digits, "+", "-" and "."; at least two characters, starting with a letter or digit',
    });
  }
  return name;
}

export function checkVersion(version: string): string {
  if (!VERSION.test(version) || version.endsWith('-')) {
    throw new UserError(`"${version}" is not a Debian version`, {
      hint: 'it starts with a digit, e.g. 1, 1.2 or 2~rc1',
    });
  }
  return version;
}

/** A package name from a module name: livepatch_cmdline_2 → livepatch-cmdline (a version suffix dropped). */
export function packageNameFromModule(module: string): string {
  return module
    .toLowerCase()
    .replace(/_/g, '-')
    .replace(/-v?\d+$/, '')
    .replace(/[^a-z0-9+.-]/g, '-');
}
