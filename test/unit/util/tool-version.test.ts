import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toolVersion } from '../../../src/util/tool-version.js';

describe('toolVersion', () => {
  it("is package.json's version", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(toolVersion()).toBe(manifest.version);
  });
});
