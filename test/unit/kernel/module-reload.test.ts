import { describe, expect, it } from 'vitest';
import { CLEARS_RELOCATIONS_SYMBOL, moduleReloadWarning } from '../../../src/kernel/facts/module-reload.js';

describe('a module reloaded under a livepatch with relocations into it', () => {
  const without = () => false;
  const withClear = (symbol: string) => symbol === CLEARS_RELOCATIONS_SYMBOL;

  it('is a warning naming the modules on a kernel that does not clear the relocations (6.1)', () => {
    expect(moduleReloadWarning(['sunrpc', 'binfmt_misc', 'sunrpc'], without)).toMatch(
      /^while this livepatch is loaded, binfmt_misc, sunrpc cannot be unloaded and loaded again: this kernel \(no clear_relocate_add\)/,
    );
  });

  it('is nothing on a kernel that clears them (6.3 and later), or without relocations into a module', () => {
    expect(moduleReloadWarning(['sunrpc'], withClear)).toBeUndefined();
    expect(moduleReloadWarning([], without)).toBeUndefined();
  });
});
