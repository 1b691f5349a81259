import { describe, expect, it } from 'vitest';
import { kbuildModname, kernelModuleName, moduleNameOf } from '../../../src/kernel/module-name.js';

describe('kernelModuleName', () => {
  it('is the name with - as _ (as in /sys/module and /sys/kernel/livepatch)', () => {
    expect(kernelModuleName('livepatch-cmdline-string')).toBe('livepatch_cmdline_string');
    expect(kernelModuleName('already_fine')).toBe('already_fine');
  });
});

describe('moduleNameOf', () => {
  it('drops the directory and extension and uses _ for -', () => {
    expect(moduleNameOf('drivers/demo/demo-drv.mod')).toBe('demo_drv');
    expect(moduleNameOf('/lib/modules/x/kernel/livepatch-sample.ko')).toBe('livepatch_sample');
    expect(moduleNameOf('/usr/lib/modules/x/kernel/fs/nls/mac-roman.ko.xz')).toBe('mac_roman');
    expect(moduleNameOf('fs/ext4/ext4.o')).toBe('ext4');
  });
});

describe('kbuildModname', () => {
  it('reads KBUILD_MODNAME as a .cmd file and as `make -n` quote it, with - as _', () => {
    expect(
      kbuildModname(
        `gcc -DKBUILD_BASENAME='"nf_conntrack_core"' -DKBUILD_MODNAME='"nf-conntrack"' -D__KBUILD_MODNAME=kmod_nf_conntrack -c`,
      ),
    ).toBe('nf_conntrack');
    expect(kbuildModname('gcc -DKBUILD_MODNAME=\\"ext4\\" -c -o fs/ext4/super.o fs/ext4/super.c')).toBe('ext4');
    expect(kbuildModname('gcc -DKBUILD_MODNAME="binfmt_misc" -c')).toBe('binfmt_misc');
  });

  it('is undefined for a command without one (only __KBUILD_MODNAME does not count)', () => {
    expect(kbuildModname('gcc -D__KBUILD_MODNAME=kmod_ext4 -c')).toBeUndefined();
  });
});
