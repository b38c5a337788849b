/** The sign-in command hints print: the provider and the step-up asked for are never dropped. */
import { assertEquals } from "../helpers/assert.ts";
import { signInCommand } from "../../src/config/sso.ts";

Deno.test("signInCommand: provider, step-up and extra flags", () => {
  assertEquals(signInCommand({ name: "default" }), "lmi login sso");
  assertEquals(signInCommand({ name: "lab" }, "--no-browser"), "lmi login sso lab --no-browser");
  assertEquals(
    signInCommand({ name: "lab", acrValues: "phr phrh", maxAge: 120 }, "--device"),
    "lmi login sso lab --acr-values 'phr phrh' --max-age 2m --device",
  );
});
