/**
 * An https:// URL whose server does not speak TLS (a plain-http server on that port): the error
 * says so instead of rustls's "received corrupt message of type InvalidContentType", suggests
 * http:// only for this machine, and is a network failure (exit 5). The failure is a real one:
 * Deno's fetch of https:// from a plain-http server on loopback.
 */
import { assert, assertEquals, assertNotIncludes } from "../helpers/assert.ts";
import { serve } from "../helpers/servers.ts";
import { networkError } from "../../src/http/transport.ts";
import { ExitCode } from "../../src/errors.ts";

Deno.test("https:// to a server without TLS", async (t) => {
  await using plain = serve(() => new Response("hello"));
  const https = plain.url.replace("http://", "https://");
  let failure: unknown;
  try {
    await (await fetch(`${https}/token`)).body?.cancel();
  } catch (err) {
    failure = err;
  }
  assert(failure, "fetching https:// from a plain-http server fails");

  await t.step("on this machine: use http:// on the same port", () => {
    const err = networkError(failure, `${https}/token`);
    assertEquals([err.code, err.exitCode], ["NOT_TLS", ExitCode.network]);
    const port = new URL(https).port;
    assertEquals(
      err.message,
      `the server at 127.0.0.1:${port} does not speak TLS (requesting ${https}/token)`,
    );
    assertEquals(
      err.hint,
      `a local server without TLS is reached with http://: write http://127.0.0.1:${port} ` +
        `instead of ${https}`,
    );
    assertNotIncludes(err.message, "InvalidContentType");
  });
  await t.step("elsewhere: not TLS, and no http:// suggested", () => {
    const err = networkError(failure, "https://idp.example.com:8080/token");
    assertEquals(err.code, "NOT_TLS");
    assertEquals(
      err.hint,
      "https://idp.example.com:8080 answers, but not with TLS: check the URL's host and port " +
        "(lmi sends credentials to hosts other than this machine only over https)",
    );
    assertNotIncludes(err.hint!, "http://");
  });
  await t.step("an https:// URL without a port meant 443", () => {
    const err = networkError(failure, "https://localhost/token");
    assertEquals(
      err.hint,
      "a local server without TLS is reached with http://: write http://localhost:443 instead " +
        "of https://localhost",
    );
  });
});
