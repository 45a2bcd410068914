/**
 * A JSON-RPC error the MCP SDK sends as it is. The SDK's McpError puts
 * "MCP error <code>: " into its message and clients add the same prefix when
 * they raise it, so clients read "MCP error -32602: MCP error -32602: …";
 * the SDK serializes any error's `code` and `message`, so this one carries
 * the plain message.
 */
export class ProtocolError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.data = data;
  }
}
