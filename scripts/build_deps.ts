/**
 * The third-party modules of the build scripts (`deno task bundle`), pinned to an exact version;
 * apart from scripts/deps.ts so that building loads none of the test dependencies.
 *
 * @module
 */

/** acorn: parses the warm bundle to mark its functions for eager compilation (scripts/eager.ts). */
export const loadAcorn = (): Promise<typeof import("npm:acorn@8.15.0")> =>
  import("npm:acorn@8.15.0");
