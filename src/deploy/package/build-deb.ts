import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { UserError } from '../../util/errors.js';
import { renderControl, type ControlFields } from './control.js';

import type { DebFile } from './deb-file.js';

export type { DebFile };

export interface DebSpec {
  control: Omit<ControlFields, 'installedSizeKiB'>;
  files: readonly DebFile[];
  /** Maintainer scripts by name (postinst, prerm, postrm, preinst). */
  scripts: Readonly<Record<string, string>>;
  /**
   * Timestamp (seconds since the epoch) of every entry and of the archive (dpkg-deb's
   * SOURCE_DATE_EPOCH): the same inputs then make the same .deb, so publishing it again is a
   * no-op instead of a checksum conflict in the repository.
   */
  epoch: number;
}

/** The .deb file name Debian tools use: NAME_VERSION_ARCH.deb (the epoch left out). */
export function debFileName(control: Pick<ControlFields, 'package' | 'version' | 'architecture'>): string {
  return `${control.package}_${control.version.replace(/^\d+:/, '')}_${control.architecture}.deb`;
}

/** Stage the files, write DEBIAN/ (control, md5sums, scripts) and run dpkg-deb --build. */
export async function buildDeb(spec: DebSpec, outputDir: string): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const output = join(outputDir, debFileName(spec.control));
  await withDir(
    async ({ path: stage }) => {
      await chmod(stage, 0o755);
      let bytes = 0;
      const sums: string[] = [];
      for (const file of spec.files) {
        if (!file.to.startsWith('/')) throw new Error(`package path ${file.to} is not absolute`);
        const target = join(stage, file.to);
        await mkdir(dirname(target), { recursive: true });
        if ('path' in file.from) await copyFile(file.from.path, target);
        else await writeFile(target, file.from.content);
        await chmod(target, file.mode);
        const data = await readFile(target);
        bytes += data.length;
        sums.push(`${createHash('md5').update(data).digest('hex')}  ${file.to.slice(1)}`);
      }
      const debian = join(stage, 'DEBIAN');
      await mkdir(debian, { recursive: true });
      const installedSizeKiB = Math.max(1, Math.ceil(bytes / 1024));
      await writeFile(join(debian, 'control'), renderControl({ ...spec.control, installedSizeKiB }));
      await writeFile(join(debian, 'md5sums'), sums.sort().join('\n') + '\n');
      for (const [name, text] of Object.entries(spec.scripts)) {
        await writeFile(join(debian, name), text);
        await chmod(join(debian, name), 0o755);
      }
      const result = await execa('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, output], {
        reject: false,
        env: { SOURCE_DATE_EPOCH: String(Math.floor(spec.epoch)) },
      });
      if (result.failed) {
        if ((result as { code?: string }).code === 'ENOENT')
          throw new UserError('dpkg-deb is not installed', { hint: 'apt-get install dpkg' });
        throw new UserError(`dpkg-deb failed: ${String(result.stderr).trim()}`);
      }
    },
    { unsafeCleanup: true },
  );
  await stat(output);
  return output;
}
