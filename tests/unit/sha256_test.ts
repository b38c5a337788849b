/** src/util/sha256.ts gives what WebCrypto gives: the NIST vectors and random inputs. */
import { assertEquals } from "../helpers/assert.ts";
import { sha256, sha256Hex } from "../../src/util/sha256.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("SHA-256: FIPS 180-4 examples", () => {
  assertEquals(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assertEquals(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertEquals(
    sha256Hex("a".repeat(1_000_000)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
  assertEquals(sha256Hex("é€😀"), hex(sha256(new TextEncoder().encode("é€😀"))));
});

Deno.test("SHA-256: the same as crypto.subtle.digest for every length up to 600 bytes", async () => {
  for (let length = 0; length <= 600; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    assertEquals(hex(sha256(data)), hex(expected), `length ${length}`);
  }
});
