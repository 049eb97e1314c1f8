/** Moved to src/profiles (shared with the MCP server); re-exported for the CLI. */
export * from "../profiles/settings.js";
