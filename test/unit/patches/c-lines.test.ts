import { describe, expect, it } from 'vitest';
import { scanCLines } from '../../../src/patches/c-lines.js';

const scan = (text: string) => scanCLines(text.split('\n'));

describe('scanCLines', () => {
  it('knows the lines inside a block comment, and code after one ends', () => {
    const facts = scan('int a; /* one\n * two\n */ int b;\n/* whole */\nint c;');
    expect(facts.map((f) => f.inComment)).toEqual([false, true, true, false, false]);
    expect(facts.map((f) => f.code)).toEqual([true, false, true, false, true]);
  });

  it('is not fooled by comment markers in strings and characters', () => {
    const facts = scan('char *s = "/*";\nchar c = \'"\';\nint d; // /*\nint e;');
    expect(facts.map((f) => f.inComment)).toEqual([false, false, false, false]);
  });

  it('knows continued lines: macros, strings and // comments', () => {
    const facts = scan('#define A(x) \\\n\t(x + 1)\nchar *s = "a\\\nb";\n// c \\\nd\nint e;');
    expect(facts.map((f) => f.continued)).toEqual([false, true, false, true, false, true, false]);
    // A macro's body is no code where it stands; a continued comment is none at all.
    expect(facts.map((f) => f.code)).toEqual([false, false, true, true, false, false, true]);
  });

  it('ends an unterminated string or character at the end of its line', () => {
    const facts = scan("#error don't\n/* x */\nint a;");
    expect(facts.map((f) => f.inComment)).toEqual([false, false, false]);
    expect(facts[2]!.code).toBe(true);
  });

  it('knows conditional directives, but not inside comments or continued lines', () => {
    const facts = scan('#if A\n# ifdef B\n#elif C\n#else\n  #endif\n/*\n#endif\n*/\n#define X \\\n#if\n#include <y.h>');
    expect(facts.map((f) => f.conditional)).toEqual([
      'open',
      'open',
      'switch',
      'switch',
      'close',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
