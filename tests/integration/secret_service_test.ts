/** The Linux Secret Service store against a real gnome-keyring in a private D-Bus session. */
import { assertEquals } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { NEEDS_SECRET_SERVICE, privateKeyring } from "../helpers/keyring.ts";
import { realRunner } from "../../src/sso/runner.ts";
import { secretServiceStore } from "../../src/sso/keychain_linux.ts";

const NAME = "Secret Service: store, read, replace, delete";

Deno.test({
  name: NAME,
  ignore: ignoreUnless(NAME, NEEDS_SECRET_SERVICE),
  fn: async () => {
    await using keyring = await privateKeyring();
    const store = secretServiceStore((cmd, args, options) =>
      realRunner(cmd, args, { ...options, env: keyring.env })
    );
    assertEquals(await store.available(), true);
    const big = JSON.stringify({ token: "t".repeat(20_000), note: 'quotes " and \\ and ünïcode' });
    assertEquals(await store.get("sso:https://idp.test"), undefined);
    await store.set("sso:https://idp.test", big);
    assertEquals(await store.get("sso:https://idp.test"), big);
    await store.set("sso:https://idp.test", '{"replaced":true}');
    assertEquals(await store.get("sso:https://idp.test"), '{"replaced":true}');
    assertEquals(await store.delete("sso:https://idp.test"), true);
    assertEquals(await store.get("sso:https://idp.test"), undefined);
    assertEquals(await store.delete("sso:https://idp.test"), false);
  },
});
