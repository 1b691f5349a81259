/**
 * The IBT check against a gcc-built kernel-like vmlinux and module with seal lists
 * (test/unit/emit/ibt-like.ts): taking the address of a function whose ENDBR is sealed, or that
 * has none, is refused with the function, the place and the reason; calls, jumps and functions
 * whose ENDBR stays are allowed.
 */
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkIbtTargets,
  configEnablesIbt,
  unreachableAddresses,
  type IbtTargets,
} from '../../../src/emit/check-ibt.js';
import { IbtTarget } from '../../../src/emit/ibt-targets.js';
import { RefusedError, UserError } from '../../../src/util/errors.js';
import { buildIbtVmlinux, ibtTargets, livepatchObject } from './ibt-like.js';

let tmp: DirectoryResult;
let targets: IbtTargets;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'ibt-check-' });
  targets = await ibtTargets(tmp.path);
});
afterAll(async () => tmp?.cleanup());

const DECLS = `extern int sealed_fn(int); extern int exported_sealed(int); extern int kept_fn(int);
extern int plain_static(int); extern void register_cb(int (*)(int));
`;

const unreachable = async (source: string, options: { target?: string; convert?: boolean } = {}) =>
  unreachableAddresses(await livepatchObject(tmp.path, targets, DECLS + source, options), targets).map(
    ({ object, name, state, referrer, section }) => ({ object, name, state, referrer, section }),
  );

describe('the seal lists read from the targets', () => {
  it('names the sealed functions of vmlinux, and tells a kept ENDBR from a missing one', () => {
    const { vmlinux } = targets;
    expect(vmlinux.sealedCount).toBe(2);
    const state = (name: string) => vmlinux.endbrState(vmlinux.functionAt(name, 0)!);
    expect(['sealed_fn', 'exported_sealed', 'kept_fn', 'plain_static', 'entry'].map(state)).toEqual([
      'sealed',
      'sealed',
      'kept',
      'missing',
      'kept',
    ]);
  });

  it("reads a module's seal list from its relocations", () => {
    const module = targets.modules.get('demo_mod')!;
    expect(module.sealedCount).toBe(1);
    expect(['mod_sealed', 'mod_kept'].map((n) => module.endbrState(module.functionAt(n, 0)!))).toEqual([
      'sealed',
      'kept',
    ]);
  });

  it('refuses to check against a vmlinux without a seal list', async () => {
    const unsealed = await IbtTarget.read('vmlinux', await buildIbtVmlinux(tmp.path, false)).catch((e: unknown) => e);
    expect(unsealed).toBeInstanceOf(UserError);
    expect((unsealed as Error).message).toMatch(/no list of sealed ENDBRs/);
  });
});

describe('address-taking references of a livepatch', () => {
  it('refuses a pointer in data to a sealed function, naming the variable and its section', async () => {
    expect(await unreachable('int (*const hook)(int) = sealed_fn;\n')).toEqual([
      { object: 'vmlinux', name: 'sealed_fn', state: 'sealed', referrer: 'hook', section: '.rodata.hook' },
    ]);
  });

  it('refuses code that takes the address (mov $f, lea f(%rip)), naming the function', async () => {
    expect(await unreachable('void fix(void) { register_cb(sealed_fn); }\n')).toEqual([
      { object: 'vmlinux', name: 'sealed_fn', state: 'sealed', referrer: 'fix', section: '.text.fix' },
    ]);
    const lea = `void *lea_fix(void) { void *p; asm("lea sealed_fn(%%rip), %0" : "=r"(p)); return p; }\n`;
    expect(await unreachable(lea)).toEqual([
      { object: 'vmlinux', name: 'sealed_fn', state: 'sealed', referrer: 'lea_fix', section: '.text.lea_fix' },
    ]);
  });

  it('refuses the address of a function that has no ENDBR', async () => {
    expect(await unreachable('int (*const hook)(int) = plain_static;\n')).toEqual([
      { object: 'vmlinux', name: 'plain_static', state: 'missing', referrer: 'hook', section: '.rodata.hook' },
    ]);
  });

  it('refuses the address of an exported function whose ENDBR is sealed (an ordinary relocation)', async () => {
    expect(await unreachable('int (*const hook)(int) = exported_sealed;\n')).toEqual([
      { object: 'vmlinux', name: 'exported_sealed', state: 'sealed', referrer: 'hook', section: '.rodata.hook' },
    ]);
  });

  it("refuses the address of a sealed function of the patched module, and allows the module's kept one", async () => {
    const source = `extern int mod_sealed(int); extern int mod_kept(int);
int (*const hooks[])(int) = { mod_sealed, mod_kept };
int fix(int x) { return mod_sealed(x) + 1; }
`;
    expect(await unreachable(source, { target: 'demo_mod' })).toEqual([
      { object: 'demo_mod', name: 'mod_sealed', state: 'sealed', referrer: 'hooks', section: '.rodata.hooks' },
    ]);
  });

  it('finds the same references before the conversion to the livepatch format', async () => {
    expect(await unreachable('int (*const hook)(int) = sealed_fn;\n', { convert: false })).toEqual([
      { object: 'vmlinux', name: 'sealed_fn', state: 'sealed', referrer: 'hook', section: '.rodata.hook' },
    ]);
  });
});

describe('what a livepatch may do', () => {
  it('calls and jumps to sealed functions and functions without ENDBR', async () => {
    const source = `int call_fix(int x) { return sealed_fn(x) * 2 + plain_static(x) * 3; }
int tail_fix(int x) { return sealed_fn(x); }
asm(".pushsection .text.cond_fix, \\"ax\\"\\n.globl cond_fix\\ncond_fix:\\n endbr64\\n test %edi, %edi\\n"
    " jne sealed_fn\\n jmp plain_static\\n.popsection\\n");
`;
    expect(await unreachable(source)).toEqual([]);
  });

  it('takes the address of a function whose ENDBR stays', async () => {
    expect(await unreachable('int (*const hook)(int) = kept_fn;\nvoid fix(void) { register_cb(kept_fn); }\n')).toEqual(
      [],
    );
  });

  it('names sealed functions in tables of code locations the kernel never branches through', async () => {
    const source = `asm(".pushsection __mcount_loc, \\"a\\"\\n .quad sealed_fn\\n .popsection\\n"
    ".pushsection .discard.addressable, \\"a\\"\\n .quad plain_static\\n .popsection\\n");
`;
    expect(await unreachable(source)).toEqual([]);
  });
});

describe('the refusal', () => {
  it('names the function, the place and the reason, with its category', async () => {
    const ko = await livepatchObject(
      tmp.path,
      targets,
      `${DECLS}int (*const hooks[])(int) = { sealed_fn, plain_static, kept_fn };\n`,
    );
    const error = (() => {
      try {
        checkIbtTargets(ko, targets);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as RefusedError).reasons).toEqual([
      {
        object: ko.path,
        reason:
          'hooks (section .rodata.hooks) takes the address of vmlinux function sealed_fn (R_X86_64_64): its ENDBR is sealed at boot; an indirect call to it faults on IBT hardware',
        category: 'sealed-endbr',
      },
      {
        object: ko.path,
        reason:
          'hooks (section .rodata.hooks) takes the address of vmlinux function plain_static (R_X86_64_64): it has no ENDBR (nothing in vmlinux takes its address, so the compiler left it out); an indirect call to it faults on IBT hardware',
        category: 'missing-endbr',
      },
    ]);
  });

  it('is not made for a module whose references are all reachable', async () => {
    const ko = await livepatchObject(tmp.path, targets, `${DECLS}int fix(int x) { return sealed_fn(x) + 1; }\n`);
    expect(() => checkIbtTargets(ko, targets)).not.toThrow();
  });
});

describe('configEnablesIbt', () => {
  it('is true only for CONFIG_X86_KERNEL_IBT=y', () => {
    expect(configEnablesIbt('CONFIG_64BIT=y\nCONFIG_X86_KERNEL_IBT=y\n')).toBe(true);
    expect(configEnablesIbt('CONFIG_64BIT=y\n# CONFIG_X86_KERNEL_IBT is not set\n')).toBe(false);
    expect(configEnablesIbt('CONFIG_64BIT=y\n')).toBe(false);
  });
});
