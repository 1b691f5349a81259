/**
 * Preprocessed texts compared as the compiled code depends on them: line markers, blank lines and
 * the spaces at a line's ends aside, everything else counted; a text calling a builtin that
 * reads the markers (__builtin_LINE) compared as written.
 */
import { describe, expect, it } from 'vitest';
import { fingerprintPreprocessed, samePreprocessed } from '../../../src/kbuild/preprocessed-text.js';

const same = (a: string, b: string) => samePreprocessed(fingerprintPreprocessed(a), fingerprintPreprocessed(b));

const ORIGINAL = `# 0 "fs/a.c"
# 1 "./include/linux/thing.h" 1

static inline int thing(void) { return 10; }
# 2 "fs/a.c" 2
int a(void) { return thing() + 2; }
`;

describe('preprocessed texts', () => {
  it('are the same when only line markers, blank lines and indentation moved', () => {
    const moved = `# 0 "fs/a.c"
# 1 "./include/linux/thing.h" 1




static inline int thing(void) { return 10; }
# 7 "./include/linux/thing.h"
# 2 "fs/a.c" 2
   int a(void) { return thing() + 2; }   
#line 9 "fs/a.c"
`;
    expect(same(ORIGINAL, moved)).toBe(true);
  });

  it('differ in any token, a string, a __LINE__ expanded or a pragma', () => {
    expect(same(ORIGINAL, ORIGINAL.replace('return 10', 'return 11'))).toBe(false);
    expect(same(ORIGINAL, ORIGINAL.replace('thing() + 2', 'thing() + 3'))).toBe(false);
    expect(same('const char *s = "a  b";\n', 'const char *s = "a b";\n')).toBe(false);
    expect(same(ORIGINAL, `${ORIGINAL}#pragma GCC diagnostic push\n`)).toBe(false);
    // Tokens on other lines are another text (kept: a difference that costs a compile only).
    expect(same('int a =\n1;\n', 'int a = 1;\n')).toBe(false);
  });

  it('that call a builtin reading the position are compared as written', () => {
    const positional = ORIGINAL.replace('return 10', 'return __builtin_LINE()');
    const moved = positional.replace('# 1 "./include/linux/thing.h" 1\n', '# 1 "./include/linux/thing.h" 1\n\n');
    expect(same(positional, moved)).toBe(false);
    expect(same(positional, positional)).toBe(true);
  });
});
