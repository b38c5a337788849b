import { assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { parseInvocation } from "../../src/cli/args.ts";
import { UsageError } from "../../src/errors.ts";

function command(args: string[]) {
  const inv = parseInvocation(args);
  if (inv.kind !== "command") throw new Error(`expected a command, got ${inv.kind}`);
  return inv;
}

Deno.test("global flags are accepted before or after the command", async (t) => {
  await t.step("lmi -vv auth token --env dev = lmi auth token -vv -e dev", () => {
    const a = command(["-vv", "auth", "token", "--env", "dev"]);
    const b = command(["auth", "token", "-vv", "-e", "dev"]);
    assertEquals(a.spec.path, ["auth", "token"]);
    assertEquals(a.globals, b.globals);
    assertEquals(a.globals, { verbose: 2, json: false, noColor: false, env: "dev" });
  });
  await t.step("between the group and its subcommand, and with = forms", () => {
    const inv = command(["auth", "--env=prod", "token", "--format=json", "-c", "x.toml"]);
    assertEquals([inv.globals.env, inv.globals.config, inv.flags.format], [
      "prod",
      "x.toml",
      "json",
    ]);
  });
  await t.step("the token alias", () => {
    assertEquals(command(["token", "--force"]).spec.path, ["auth", "token"]);
  });
  await t.step("-v counts", () => {
    assertEquals(command(["-v", "env", "list", "-v", "-v"]).globals.verbose, 3);
  });
});

Deno.test("usage errors are exit code 2 with a hint", async (t) => {
  const usage = (args: string[]) => assertThrows(() => parseInvocation(args), UsageError);
  await t.step("unknown flag, with a suggestion", () => {
    const err = usage(["auth", "token", "--forse"]);
    assertEquals(err.exitCode, 2);
    assertEquals(err.message, 'unknown flag "--forse"');
    assertMatch(err.hint!, /did you mean "--force"/);
  });
  await t.step("unknown command and subcommand", () => {
    assertMatch(usage(["Bad!"]).message, /unknown command "Bad!"/);
    assertMatch(usage(["auth", "tokn"]).hint!, /did you mean "lmi auth token"/);
  });
  await t.step("missing flag value, flag given a value it cannot take", () => {
    assertEquals(usage(["auth", "token", "--env"]).message, 'flag "--env" needs a value');
    assertMatch(usage(["auth", "token", "--force=yes"]).message, /takes no value/);
  });
  await t.step("unexpected argument", () => {
    assertEquals(usage(["login", "extra"]).message, 'unexpected argument "extra"');
  });
  await t.step("command flags before the command", () => {
    assertMatch(
      usage(["--format", "raw", "auth", "token"]).message,
      /unknown flag "--format" before the command/,
    );
  });
});

Deno.test("an unknown command is a plugin that gets every argument after its name", () => {
  const inv = parseInvocation(["--env", "dev", "hello", "--env", "x", "-v"]);
  assertEquals(inv.kind === "plugin" && [inv.name, inv.args, inv.globals.env], ["hello", [
    "--env",
    "x",
    "-v",
  ], "dev"]);
});

Deno.test("help and version", () => {
  assertEquals(parseInvocation([]).kind, "help");
  assertEquals(parseInvocation(["--version"]).kind, "version");
  const help = parseInvocation(["auth", "token", "--help"]);
  assertEquals(help.kind === "help" && typeof help.topic === "object" && help.topic.path, [
    "auth",
    "token",
  ]);
  const group = parseInvocation(["auth"]);
  assertEquals(group.kind === "help" && group.topic, "auth");
});
