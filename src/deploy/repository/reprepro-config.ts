import { COMPONENT, ORIGIN } from './layout.js';

export interface DistributionsOptions {
  suites: readonly string[];
  architectures: readonly string[];
  fingerprint: string;
  label: string;
}

/** conf/distributions: one stanza per suite, each signed with the repository key. */
export function renderDistributions(options: DistributionsOptions): string {
  return options.suites
    .map((suite) =>
      [
        `Origin: ${ORIGIN}`,
        `Label: ${options.label}`,
        `Suite: ${suite}`,
        `Codename: ${suite}`,
        `Architectures: ${options.architectures.join(' ')}`,
        `Components: ${COMPONENT}`,
        `Description: livepatch packages made by tsbuild-patch (${suite})`,
        `SignWith: ${options.fingerprint}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

/** conf/options: paths relative to the base directory, so the repository can be moved whole. */
export function renderOptions(): string {
  return ['outdir +b/public', 'dbdir +b/db', 'gnupghome +b/gnupg', ''].join('\n');
}
