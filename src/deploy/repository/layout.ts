import { join } from 'node:path';

/**
 * A repository directory: what reprepro and gpg keep (conf/, db/, gnupg/: private) beside what
 * is served (public/: dists/, pool/ and the public key). Serve or copy only public/.
 */
export interface RepositoryLayout {
  root: string;
  conf: string;
  db: string;
  gnupg: string;
  public: string;
  /** The public key, binary, for apt's signed-by=. */
  keyFile: string;
  armoredKeyFile: string;
}

export const KEY_FILE_NAME = 'tsbuild-patch-archive-keyring.gpg';

export function repositoryLayout(root: string, gnupgHome?: string): RepositoryLayout {
  const pub = join(root, 'public');
  return {
    root,
    conf: join(root, 'conf'),
    db: join(root, 'db'),
    gnupg: gnupgHome ?? join(root, 'gnupg'),
    public: pub,
    keyFile: join(pub, KEY_FILE_NAME),
    armoredKeyFile: join(pub, KEY_FILE_NAME.replace(/\.gpg$/, '.asc')),
  };
}

/** Suites for a staged rollout: new packages go to testing, promote copies them to stable. */
export const SUITES = ['testing', 'stable'] as const;
export const COMPONENT = 'main';
export const ORIGIN = 'tsbuild-patch';
