/**
 * The version of every format tsbuild-patch keeps in its cache (util/cache.ts cacheRoot()), one
 * table: bump an entry when what that cache holds, or how it is made, changes in a way its key
 * does not show. Each line says what a bump invalidates; nothing else is touched by it.
 */
export const CACHE_FORMATS = {
  /** kbuild/work-tree.ts, part of the key of builds/<key>/: every original-build tree is built again from scratch. */
  workTree: 2,
  /** kbuild/prepared-tree.ts, part of the key of trees/<key>/: every prepared tree is unpacked and prepared again. */
  preparedTree: 1,
  /** kbuild/object-index.ts, in builds/<key>/object-index.json: each tree's object index is read again from its .cmd files (the tree stays). */
  objectIndex: 6,
  /** kbuild/include-graph.ts, in <tree>/include-graph.json: each tree's include graph is scanned again (the tree stays). */
  includeGraph: 5,
  /** sources/test-kernel/provision.ts, part of the key of test-kernel/<key>/: the test kernel is built again. */
  testKernel: 1,
  /** test/support/system-vm/rootfs.ts (the tests' system VM), part of the key of system-vm/<key>/: the system VM's root file system is made again. */
  systemVmRootfs: 1,
  /** kernel/facts/entry-size-cache.ts, in kernel-facts/struct-sizes/: every struct size is measured again with pahole. */
  structSizes: 1,
  /** kernel/module-file.ts, part of the key of kernel-facts/modules/<key>/: every decompressed copy of a .ko.xz is made again. */
  plainModules: 1,
  /** sources/debian/acquire.ts, the headers part of kernels/<entry>/: each release's headers package is fetched and unpacked again. */
  kernelHeaders: 2,
  /** sources/debian/apt-answers.ts, in apt/<context>/answers.json: what apt-cache answered about the lists is asked again. */
  aptAnswers: 1,
} as const satisfies Record<string, number>;
