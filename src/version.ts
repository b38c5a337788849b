/** lmi's version, from deno.json (the one place it is written). */
import config from "../deno.json" with { type: "json" };

export const VERSION: string = config.version;
