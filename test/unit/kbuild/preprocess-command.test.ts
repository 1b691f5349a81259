/**
 * The preprocessor's command made from a recorded compile command: the compile alone (kbuild's
 * post-steps cut at the first unquoted separator), `-c -o <object>` turned into `-E -o <text>`,
 * the dependency file left out; anything else is not taken.
 */
import { describe, expect, it } from 'vitest';
import { firstCommand, preprocessCommand } from '../../../src/kbuild/preprocess-command.js';
import { recordedCommand } from '../../../src/kbuild/recorded-compile.js';

/** As Debian 12's 6.1 tree records fs/proc/array.o (flags shortened), make's escapes kept. */
const RECORD =
  'cmd_fs/proc/array.o := gcc -Wp,-MMD,fs/proc/.array.o.d -nostdinc -I./arch/x86/include -I./include -include ./include/linux/kconfig.h -D__KERNEL__ -fmacro-prefix-map=./= -Werror=date-time -O2 -g -ffunction-sections -fdata-sections    -DKBUILD_MODFILE=\'"fs/proc/proc"\' -DKBUILD_BASENAME=\'"array"\' -DKBUILD_MODNAME=\'"proc"\' -D__KBUILD_MODNAME=kmod_proc -DSEP=\'"a;b|c&d"\' -DCOST=$$((1+1)) -c -o fs/proc/array.o fs/proc/array.c   ; ./tools/objtool/objtool --hacks=jump_label --orc --retpoline   fs/proc/array.o\n';

describe('the preprocessing command of a recorded object', () => {
  it("is the compile alone: kbuild's post-steps cut where the shell would", () => {
    expect(firstCommand('gcc -c -o a.o a.c ; objtool a.o')).toBe('gcc -c -o a.o a.c ');
    expect(firstCommand(`gcc -DX='"a;b"' -DY="c|d" -DZ=e\\;f -c -o a.o a.c && ld a.o`)).toBe(
      `gcc -DX='"a;b"' -DY="c|d" -DZ=e\\;f -c -o a.o a.c `,
    );
    expect(firstCommand('gcc -c -o a.o a.c')).toBe('gcc -c -o a.o a.c');
  });

  it('preprocesses into the text file, with every flag of the compile and no dependency file', () => {
    const command = preprocessCommand(recordedCommand(RECORD)!, 'fs/proc/array.o', '/tmp/run/preprocessed/orig/0.i');
    expect(command).toBe(
      'gcc  -nostdinc -I./arch/x86/include -I./include -include ./include/linux/kconfig.h -D__KERNEL__ -fmacro-prefix-map=./= -Werror=date-time -O2 -g -ffunction-sections -fdata-sections    -DKBUILD_MODFILE=\'"fs/proc/proc"\' -DKBUILD_BASENAME=\'"array"\' -DKBUILD_MODNAME=\'"proc"\' -D__KBUILD_MODNAME=kmod_proc -DSEP=\'"a;b|c&d"\' -DCOST=$((1+1)) -E -o /tmp/run/preprocessed/orig/0.i fs/proc/array.c',
    );
    // An output path the shell must not split.
    expect(preprocessCommand('gcc -c -o a.o a.c', 'a.o', '/tmp/my dir/0.i')).toBe("gcc -E -o '/tmp/my dir/0.i' a.c");
    // Every form of gcc's dependency output goes.
    expect(preprocessCommand('gcc -MD -MF a.d -Wp,-MD,a.d2 -c -o a.o a.c', 'a.o', 'x.i')).toBe('gcc    -E -o x.i a.c');
  });

  it('is not made from a command that is no plain compile of the object', () => {
    // Another object, a link, the object named twice, a dependency option it does not know.
    expect(preprocessCommand('gcc -c -o b.o b.c', 'a.o', 'x.i')).toBeUndefined();
    expect(preprocessCommand('ld -r -o a.o a1.o a2.o', 'a.o', 'x.i')).toBeUndefined();
    expect(preprocessCommand('gcc -c -o a.o a.c -c -o a.o a.c', 'a.o', 'x.i')).toBeUndefined();
    expect(preprocessCommand('gcc -MMD -MT a.o -c -o a.o a.c', 'a.o', 'x.i')).toBeUndefined();
    // The object in a post-step only.
    expect(preprocessCommand('true ; gcc -c -o a.o a.c', 'a.o', 'x.i')).toBeUndefined();
  });
});
