import { assertEquals } from "../helpers/assert.ts";
import { parseDotenv } from "../../src/config/dotenv_parse.ts";

Deno.test(".env parsing", () => {
  const text = [
    "# comment",
    "A=1",
    "export B = two words ",
    "C='single # not a comment'",
    'D="line1\\nline2"',
    "E=value # trailing comment",
    "F=",
    'G="multi',
    'line"',
    "H=`back`",
    "I=x=y",
    "not a line",
    "A=override",
  ].join("\r\n");
  assertEquals(parseDotenv(text), {
    A: "override",
    B: "two words",
    C: "single # not a comment",
    D: "line1\nline2",
    E: "value",
    F: "",
    G: "multi\nline",
    H: "back",
    I: "x=y",
  });
});
