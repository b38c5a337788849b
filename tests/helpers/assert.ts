/** Assertions (node:assert based, since jsr:@std/assert cannot be fetched here). */
import nodeAssert from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, re: RegExp, message?: string): void {
  nodeAssert.match(actual, re, message);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!actual.includes(expected)) {
    throw new nodeAssert.AssertionError({
      message: message ??
        `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
      actual,
      expected,
    });
  }
}

export function assertNotIncludes(actual: string, unexpected: string, message?: string): void {
  if (unexpected && actual.includes(unexpected)) {
    throw new nodeAssert.AssertionError({
      message: message ??
        `expected output not to include the secret ${JSON.stringify(unexpected.slice(0, 6))}…`,
    });
  }
}

/**
 * What lmi itself said on stderr: without the HTTP exchanges -vv shows (`lmi: debug: > …` and
 * `lmi: debug: < …`), which hold the IdP's own words.
 */
export function ownLines(stderr: string): string {
  return stderr.split("\n").filter((l) => !/^lmi: debug: [<>] /.test(l)).join("\n");
}

// deno-lint-ignore no-explicit-any
type Ctor<E> = new (...args: any[]) => E;

export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: Ctor<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    check(err, ErrorClass, includes);
    return err as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  ErrorClass?: Ctor<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    check(err, ErrorClass, includes);
    return err as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}

function check(err: unknown, ErrorClass?: Ctor<Error>, includes?: string) {
  if (ErrorClass && !(err instanceof ErrorClass)) {
    throw new nodeAssert.AssertionError({
      message: `expected ${ErrorClass.name}, got ${String(err)}`,
    });
  }
  if (includes && !String((err as Error).message).includes(includes)) {
    throw new nodeAssert.AssertionError({
      message: `expected error message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify((err as Error).message)
      }`,
    });
  }
}
