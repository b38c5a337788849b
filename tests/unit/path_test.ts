import { assertEquals } from "../helpers/assert.ts";
import { dirname, isAbsolute, join, normalize, resolve } from "../../src/util/path.ts";

Deno.test("path helpers, POSIX and Windows", async (t) => {
  await t.step("POSIX", () => {
    assertEquals(join("/a/b", "c", "../d.json"), "/a/b/d.json");
    assertEquals(join("/a/", "/b/"), "/a/b");
    assertEquals(dirname("/a/b/c.toml"), "/a/b");
    assertEquals(dirname("/a"), "/");
    assertEquals(dirname("/"), "/");
    assertEquals(resolve("/work/x", "../y/z"), "/work/y/z");
    assertEquals(resolve("/work/x", "/etc/lmi.toml"), "/etc/lmi.toml");
    assertEquals(normalize("/a/./b/../../.."), "/");
    assertEquals(normalize("a/../../b"), "../b");
    assertEquals(isAbsolute("rel/x"), false);
  });
  await t.step("Windows", () => {
    assertEquals(join("C:\\Users\\me", "lmi", "config.toml"), "C:\\Users\\me\\lmi\\config.toml");
    assertEquals(dirname("C:\\Users\\me\\lmi.toml"), "C:\\Users\\me");
    assertEquals(dirname("C:\\lmi.toml"), "C:\\");
    assertEquals(resolve("C:\\work", "..\\ca.pem"), "C:\\ca.pem");
    assertEquals(resolve("C:\\work", "D:/x/ca.pem"), "D:\\x\\ca.pem");
    assertEquals(isAbsolute("\\\\server\\share\\x"), true);
  });
});
