/**
 * Property-based fuzz of configs (issue 9): random TOML documents (typed values under the keys
 * lmi knows, random keys and values of every TOML type, mutated and truncated text, raw garbage)
 * go through what `lmi` does with a config file in process: parse, schema validation, env
 * selection and resolution with the [sso] settings. Each either succeeds with values lmi can
 * use, or fails with a ConfigError or UsageError whose message and hint are one printable line
 * each (no control characters); nothing else is thrown and no document costs more than a generous
 * limit.
 */
import { fc } from "../../scripts/deps.ts";
import { assert } from "../helpers/assert.ts";
import { fakeDeps } from "../helpers/fakes.ts";
import { loadToml } from "../../src/deps.ts";
import { type LoadedConfig, parseConfigText } from "../../src/config/load.ts";
import { envForUse } from "../../src/config/env.ts";
import type { ResolvedEnv } from "../../src/config/resolve.ts";
import { MARGIN_RANGE, TIMEOUT_RANGE } from "../../src/config/duration.ts";
import { ConfigError, UsageError } from "../../src/errors.ts";
import { Redactor } from "../../src/ui/redact.ts";

const SEED = 20_260_109;
const RUNS = 4000;
/** Far above what any document takes (about a millisecond): a limit, not a timing. */
const PER_DOCUMENT_LIMIT_MS = 5_000;
const PATH = "/fuzz/lmi.toml";

const { stringify } = await loadToml();

/** Mostly `usual` (so that many documents get through), sometimes `odd`. */
function mostly<T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 12, arbitrary: usual }, { weight: 1, arbitrary: odd });
}

// Values: usual and odd ones for each key, and anything of any TOML type.
const oddString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.constantFrom("", " ", "\r\n", "\u0000", "\u001b[31m", "\u2028", "__proto__", "constructor"),
);
const anyString = mostly(fc.string({ minLength: 1, maxLength: 16 }), oddString);
const durations = mostly(
  fc.tuple(fc.integer({ min: 1, max: 86_400 }), fc.constantFrom(1, 60, 3600))
    .map(([n, unit]) =>
      `${Math.max(1, Math.floor(n / unit))}${({ 1: "s", 60: "m", 3600: "h" })[unit]}`
    ),
  fc.oneof(
    fc.constantFrom("0s", "999ms", "24h", "24h1s", "99999999999h", "1e400", "-1s", "1h 30m"),
    fc.constantFrom("0.0001ms", "9".repeat(400), "2d", "86400001ms"),
    fc.integer({ min: -5, max: 200_000 }),
    fc.double(),
  ),
);
const urls = mostly(
  fc.webUrl(),
  fc.constantFrom("http://127.0.0.1:9", "ftp://x", "not a url", "https://", "javascript:1"),
);
const headerNames = mostly(
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/),
  fc.oneof(fc.constantFrom("Bad Header", "", "X:y", "Tenänt", "X\nY"), oddString),
);
const headerValues = mostly(
  fc.stringMatching(/^[\t\x20-\x7e]{0,20}$/),
  fc.oneof(fc.constantFrom("a\r\nX-Evil: 1", "a\u0000b", "\u007f", "é", "€", "\u0085"), oddString),
);
const scalar = fc.oneof(
  { weight: 4, arbitrary: anyString },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  {
    weight: 1,
    arbitrary: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(253402300799000) }),
  },
);
const { anyValue } = fc.letrec<{ anyValue: unknown }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("anyValue"), { maxLength: 3 }),
    fc.dictionary(anyString, tie("anyValue"), { maxKeys: 3 }),
  ),
}));
const strings = fc.array(anyString, { maxLength: 3 });

const USUAL: Record<string, fc.Arbitrary<unknown>> = {
  base_url: urls,
  issuer: urls,
  token_url: urls,
  timeout: durations,
  refresh_margin: durations,
  // Past 2^53 smol-toml refuses the whole document (it cannot represent the integer exactly).
  retries: mostly(
    fc.integer({ min: 0, max: 10 }),
    fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  ),
  requires_sso: fc.boolean(),
  headers: fc.dictionary(headerNames, headerValues, { maxKeys: 3 }),
  extra_params: fc.dictionary(anyString, anyString, { maxKeys: 3 }),
  type: mostly(
    fc.constantFrom("client_credentials", "password", "sso", "command", "none"),
    fc.constantFrom("magic", ""),
  ),
  client_auth: fc.constantFrom("client_secret_basic", "client_secret_post", "private_key_jwt"),
  verify_access_token: mostly(fc.constantFrom("auto", "always", "never"), fc.constant("maybe")),
  scopes: strings,
  expected_audience: fc.oneof(anyString, strings),
  command: strings,
  redirect_port: mostly(fc.integer({ min: 0, max: 65_535 }), fc.integer()),
  redirect_host: mostly(fc.constantFrom("127.0.0.1", "localhost", "[::1]"), fc.constant("0.0.0.0")),
};

/** A table with some of `keys` (usual values, mostly) and now and then a stray key or value. */
function table(keys: string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = fc.constantFrom(...keys).chain((key) =>
    fc.tuple(
      fc.constant(key),
      fc.oneof({ weight: 20, arbitrary: USUAL[key] ?? anyString }, {
        weight: 1,
        arbitrary: anyValue,
      }),
    )
  );
  const stray = fc.tuple(
    fc.oneof(anyString, fc.constantFrom("client_secret", "password", "toString", "base_ur")),
    anyValue,
  );
  return fc.array(fc.oneof({ weight: 30, arbitrary: known }, { weight: 1, arbitrary: stray }), {
    maxLength: 6,
  }).map((entries) => Object.fromEntries(entries));
}

const ENV_KEYS = ["base_url", "requires_sso", "timeout", "retries", "headers", "ca_file"];
const AUTH_KEYS = [
  ...["type", "issuer", "token_url", "client_id", "client_secret_env", "client_auth", "scopes"],
  ...["audience", "resource", "extra_params", "refresh_margin", "verify_access_token"],
  ...["expected_audience", "username_env", "password_env", "private_key_env", "command"],
];
const SSO_KEYS = ["issuer", "client_id", "client_secret_env", "scopes", "redirect_port"];
const envNames = mostly(fc.constantFrom("dev", "prod", "a-b", "x_1", "default"), anyString);

const documents = fc.tuple(
  fc.record({
    default_env: mostly(envNames, anyValue),
    sso: mostly(table(SSO_KEYS), anyValue),
    envs: fc.dictionary(
      envNames,
      fc.tuple(table(ENV_KEYS), fc.option(table(AUTH_KEYS))).map(([env, auth]) =>
        auth ? { ...env, auth } : env
      ),
      { maxKeys: 3 },
    ),
  }, { requiredKeys: ["envs"] }),
  fc.oneof(
    { weight: 20, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(anyString, anyValue) },
  ),
).map(([doc, stray]) => stray ? { ...doc, [stray[0]]: stray[1] } : doc);

/**
 * Valid TOML, and the same text damaged (cut short, spliced with garbage), with CRLF line ends, with
 * a long multi-line string and an error after it, and garbage.
 */
const texts = fc.oneof(
  { weight: 6, arbitrary: documents.map((doc) => stringify(doc)) },
  {
    weight: 3,
    arbitrary: fc.tuple(documents, fc.nat(), fc.string({ unit: "binary", maxLength: 12 }))
      .map(([doc, at, junk]) => {
        const text = stringify(doc);
        const cut = at % (text.length + 1);
        return at % 3 === 0 ? text.slice(0, cut) : text.slice(0, cut) + junk + text.slice(cut);
      }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(documents, fc.constantFrom(" ", "[", "'\"", "x = 1\n", '\\"'), fc.boolean())
      .map(([doc, unit, error]) =>
        `${stringify(doc)}\n[envs.zz.auth]\nclient_id = """\n${unit.repeat(20_000)}\n"""\n` +
        (error ? '[envs.zy]\ntimeout = "0s"\n' : "")
      ),
  },
  { weight: 1, arbitrary: documents.map((doc) => stringify(doc).replaceAll("\n", "\r\n")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
);

function assertReported(err: unknown, text: string): void {
  if (!(err instanceof ConfigError || err instanceof UsageError)) {
    throw new Error(`not an LmiError for ${JSON.stringify(text)}`, { cause: err });
  }
  for (const line of [err.message, err.hint]) {
    assert(typeof line === "string" && line.length > 0, `${err.code} without a message or hint`);
    assert(!/[\p{Cc}\u2028\u2029]/u.test(line), `not one printable line: ${JSON.stringify(line)}`);
  }
}

function assertUsable(env: ResolvedEnv): void {
  const { timeoutMs, auth: { refreshMarginMs } } = env;
  assert(timeoutMs >= TIMEOUT_RANGE.min && timeoutMs <= TIMEOUT_RANGE.max, `timeout ${timeoutMs}`);
  assert(timeoutMs < 2 ** 31);
  assert(refreshMarginMs >= MARGIN_RANGE.min && refreshMarginMs <= MARGIN_RANGE.max);
  new Headers(env.headers); // throws on what fetch would refuse
  for (const value of Object.values(env.headers)) assert(/^[\t\x20-\x7e]*$/.test(value), value);
}

/** What `lmi` does with a config file: parse and validate, then resolve each env for use. */
async function useConfig(text: string): Promise<void> {
  const deps = fakeDeps({ cwd: "/nonexistent" });
  let config: LoadedConfig;
  try {
    config = {
      path: PATH,
      origin: "flag",
      dotenvDirs: [],
      file: await parseConfigText(text, PATH),
    };
  } catch (err) {
    return assertReported(err, text);
  }
  const names = [undefined, ...Object.keys(config.file.envs), "constructor", "toString"];
  for (const name of names) {
    try {
      assertUsable(envForUse(deps, config, name, new Redactor()));
    } catch (err) {
      assertReported(err, text);
    }
  }
}

Deno.test(`config fuzz: ${RUNS} documents, seed ${SEED}: a usable env or a one-line error`, async () => {
  let slowest = 0;
  await fc.assert(
    fc.asyncProperty(texts, async (text) => {
      const start = performance.now();
      await useConfig(text);
      const took = performance.now() - start;
      slowest = Math.max(slowest, took);
      assert(took < PER_DOCUMENT_LIMIT_MS, `${Math.round(took)} ms for one document`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  console.log(`slowest document: ${slowest.toFixed(1)} ms`);
});
