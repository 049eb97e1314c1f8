/** The tools `d365fo mcp` lists, by name (test/mcp/mcp.e2e.test.ts, test/package/install.e2e.test.ts). */
export const MCP_TOOL_NAMES: readonly string[] = [
  "call_action",
  "codegen",
  "compare",
  "describe_entity",
  "environment",
  "get_enumeration",
  "get_labels",
  "query_data",
  "search",
  "sync",
  "write_data",
];
