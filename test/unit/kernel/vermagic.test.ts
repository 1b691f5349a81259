import { describe, expect, it } from 'vitest';
import { parseKconfig } from '../../../src/kernel/kconfig.js';
import { vermagicOf } from '../../../src/kernel/vermagic.js';

describe('vermagic from a release and a config', () => {
  it("is Debian 12's for its config", () => {
    const config = parseKconfig(
      'CONFIG_SMP=y\nCONFIG_PREEMPT_BUILD=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\n# CONFIG_PREEMPT_RT is not set\n',
    );
    expect(vermagicOf('6.1.0-57-amd64', config)).toBe('6.1.0-57-amd64 SMP preempt mod_unload modversions ');
  });

  it('leaves out what the config lacks', () => {
    expect(vermagicOf('6.1.192', parseKconfig('CONFIG_MODULE_UNLOAD=y\n'))).toBe('6.1.192 mod_unload ');
    expect(vermagicOf('6.1.192-rt', parseKconfig('CONFIG_SMP=y\nCONFIG_PREEMPT_RT=y\n'))).toBe(
      '6.1.192-rt SMP preempt_rt ',
    );
  });
});
