// Which kernel 6.1.0-50-amd64 built a C file into: vmlinux (a DWARF compile unit of its
// vmlinux) or a module of its image (kbuild's answer in the prepared tree: -DMODULE and
// KBUILD_MODNAME of the object's compile command, from its .cmd when the object is already
// compiled, else from `make -n`; the module name checked against the image's .ko files).
// Anything else the kernel did not build.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { vmlinuxCompileUnits } from '../../src/kernel/facts/compile-units.js';
import { parseObjectCmd } from '../../src/kbuild/prepared-objects.js';
import { kbuildModname, moduleNameOf } from '../../src/kernel/module-name.js';
import type { WorkTree } from '../../src/kbuild/work-tree.js';
import type { TargetKernel } from '../../src/kernel/target-kernel.js';
import { withDirLock } from '../../src/util/lock.js';

export type BuiltInto =
  { kind: 'vmlinux' } | { kind: 'module'; module: string; ko: string } | { kind: 'not-built'; why: string };

export async function imageModules(modulesDir: string): Promise<Map<string, string>> {
  const files = await readdir(modulesDir, { recursive: true });
  return new Map(files.filter((f) => f.endsWith('.ko')).map((f) => [moduleNameOf(f), f]));
}

interface KbuildAnswer {
  module: boolean;
  modname: string;
}

/** kbuild's compile command for each of OBJECTS (make -n, dry: nothing is built). */
async function dryRunAnswers(tree: WorkTree, objects: string[]): Promise<Map<string, KbuildAnswer>> {
  const answers = new Map<string, KbuildAnswer>();
  const vars = Object.entries(tree.vars).map(([k, v]) => `${k}=${v}`);
  for (let i = 0; i < objects.length; i += 200) {
    const chunk = objects.slice(i, i + 200);
    const result = await withDirLock(
      join(tree.entry, 'patch.lock'),
      () => {},
      () =>
        execa('make', ['-n', '-k', ...vars, ...chunk], { cwd: tree.dir, reject: false, maxBuffer: 1 << 28, all: true }),
    );
    for (const line of (result.all ?? '').split('\n')) {
      const m = / -c -o (\S+\.o) (\S+\.c)/.exec(line);
      if (!m) continue;
      const modname = kbuildModname(line);
      if (!modname) continue;
      answers.set(m[1]!, { module: /\s-DMODULE\s/.test(line), modname });
    }
  }
  return answers;
}

export async function builtInto(options: {
  target: TargetKernel;
  tree: WorkTree;
  sources: string[];
}): Promise<Map<string, BuiltInto>> {
  const { target, tree, sources } = options;
  const units = await vmlinuxCompileUnits(target.vmlinux, join(tree.entry, 'compile-units.json'));
  const modules = await imageModules(target.modulesDir);
  const result = new Map<string, BuiltInto>();
  const known = new Map<string, KbuildAnswer>();
  const unknown: string[] = [];
  for (const source of sources) {
    if (units.has(source)) {
      result.set(source, { kind: 'vmlinux' });
      continue;
    }
    const object = source.replace(/\.c$/, '.o');
    const cmd = join(tree.dir, dirname(object), `.${basename(object)}.cmd`);
    const parsed = existsSync(cmd) ? parseObjectCmd(await readFile(cmd, 'utf8')) : undefined;
    if (parsed) known.set(object, { module: parsed.module, modname: parsed.modname });
    else unknown.push(object);
  }
  for (const [object, answer] of await dryRunAnswers(tree, unknown)) known.set(object, answer);
  for (const source of sources) {
    if (result.has(source)) continue;
    const answer = known.get(source.replace(/\.c$/, '.o'));
    if (!answer)
      result.set(source, {
        kind: 'not-built',
        why: 'kbuild has no rule for the object (its directory is not configured)',
      });
    else if (!answer.module)
      result.set(source, {
        kind: 'not-built',
        why: 'built-in object that is not a compile unit of vmlinux (not configured)',
      });
    else if (!modules.has(answer.modname))
      result.set(source, { kind: 'not-built', why: `module ${answer.modname} is not in the image` });
    else result.set(source, { kind: 'module', module: answer.modname, ko: modules.get(answer.modname)! });
  }
  return result;
}
