/** src/util/hmac.ts gives what WebCrypto's HMAC gives: the RFC 4231 vectors and random inputs. */
import { assert, assertEquals } from "../helpers/assert.ts";
import { hmacSha256, hmacSha256Hex, sameMac, toHex } from "../../src/util/hmac.ts";

const bytes = (byte: number, length: number) => new Uint8Array(length).fill(byte);
const text = (s: string) => new TextEncoder().encode(s);

async function webCrypto(key: Uint8Array, message: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(
    new Uint8Array(await crypto.subtle.sign("HMAC", k, message as Uint8Array<ArrayBuffer>)),
  );
}

Deno.test("HMAC-SHA-256: the RFC 4231 test cases", async () => {
  const cases: Array<[string, Uint8Array, Uint8Array, string]> = [
    [
      "1",
      bytes(0x0b, 20),
      text("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      "2: a key shorter than the output",
      text("Jefe"),
      text("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      "3",
      bytes(0xaa, 20),
      bytes(0xdd, 50),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ],
    [
      "4",
      Uint8Array.from({ length: 25 }, (_, i) => i + 1),
      bytes(0xcd, 50),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    [
      "6: a key longer than the block",
      bytes(0xaa, 131),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      "7: a key and data longer than the block",
      bytes(0xaa, 131),
      text(
        "This is a test using a larger than block-size key and a larger than block-size data. " +
          "The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [name, key, message, expected] of cases) {
    assertEquals(toHex(hmacSha256(key, message)), expected, `test case ${name}`);
    assertEquals(await webCrypto(key, message), expected, `WebCrypto agrees: ${name}`);
  }
  // Test case 5: the output truncated to 128 bits.
  const truncated = hmacSha256(bytes(0x0c, 20), text("Test With Truncation")).subarray(0, 16);
  assertEquals(toHex(truncated), "a3b6167473100ee06e0c796c2955552b", "test case 5");
});

Deno.test("HMAC-SHA-256: the same as WebCrypto for random keys and messages", async () => {
  // Keys around the block size (64) and beyond it; messages across several blocks.
  for (let round = 0; round < 300; round++) {
    const key = crypto.getRandomValues(new Uint8Array(1 + (round * 7) % 150));
    const message = crypto.getRandomValues(new Uint8Array((round * 13) % 400));
    assertEquals(toHex(hmacSha256(key, message)), await webCrypto(key, message), `round ${round}`);
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  const s = 'é€😀 and JSON {"a":[1]}';
  assertEquals(hmacSha256Hex(key, s), await webCrypto(key, text(s)), "UTF-8 text");
});

Deno.test("sameMac: equal hex only", () => {
  const mac = "0123456789abcdef".repeat(4);
  assert(sameMac(mac, mac.slice()));
  assert(!sameMac(mac, mac.slice(0, -1) + "0"));
  assert(!sameMac(mac, "1" + mac.slice(1)));
  assert(!sameMac(mac, mac.slice(1)));
  assert(!sameMac(mac, ""));
  assert(sameMac("", ""));
});
