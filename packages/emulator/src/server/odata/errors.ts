/** A query the service rejects; the server answers 400 with the OData error envelope (protocol §5.5). */
export class ODataQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ODataQueryError";
  }
}
