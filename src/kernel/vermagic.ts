import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCH_VERMAGIC } from '../arch/x86_64/vermagic.js';
import { readElf } from '../elf/index.js';
import { parseKconfig } from './kconfig.js';
import { modinfoValue } from './modinfo.js';
import { isModuleFile, readModuleElf } from './module-file.js';
import { UserError } from '../util/errors.js';

/** The release a kernel image reports (uname -r), from its linux_banner "Linux version R (...". */
export async function vmlinuxRelease(vmlinux: string): Promise<string> {
  const elf = await readElf(vmlinux);
  const banner = elf.symbols.find((s) => s.name === 'linux_banner' && s.section);
  if (!banner?.section) throw new UserError(`${vmlinux}: no linux_banner symbol to read the release from`);
  const data = banner.section.data;
  const start = Number(banner.value - banner.section.addr);
  const text = data.subarray(start, start + Math.max(banner.size, 64)).toString('latin1');
  const release = /^Linux version (\S+)/.exec(text)?.[1];
  if (!release) throw new UserError(`${vmlinux}: linux_banner does not name a release ("${text.slice(0, 40)}")`);
  return release;
}

/**
 * The vermagic modules of a kernel carry (include/linux/vermagic.h): the release, then one
 * word per config option that changes the module ABI, each followed by a space.
 */
export function vermagicOf(release: string, config: ReadonlyMap<string, string>): string {
  const on = (option: string) => (config.get(option) ?? 'n') !== 'n';
  let magic = `${release} `;
  if (on('SMP')) magic += 'SMP ';
  if (on('PREEMPT_BUILD')) magic += 'preempt ';
  else if (on('PREEMPT_RT')) magic += 'preempt_rt ';
  if (on('MODULE_UNLOAD')) magic += 'mod_unload ';
  if (on('MODVERSIONS')) magic += 'modversions ';
  return magic + ARCH_VERMAGIC;
}

/** The running kernel's vermagic from its vmlinux and config (when no module of it is at hand). */
export async function kernelVermagic(vmlinux: string, configPath: string): Promise<string> {
  const config = parseKconfig(await readFile(configPath, 'utf8'));
  return vermagicOf(await vmlinuxRelease(vmlinux), config);
}

/** The vermagic of the running kernel, read from one of its modules (.ko or .ko.xz). */
export async function runningVermagic(modulesDir: string): Promise<string | undefined> {
  if (!modulesDir) return undefined;
  const entries = await readdir(join(modulesDir, 'kernel'), { recursive: true }).catch(() => [] as string[]);
  const module = entries.find(isModuleFile);
  if (!module) return undefined;
  return modinfoValue(await readModuleElf(join(modulesDir, 'kernel', module)), 'vermagic');
}
