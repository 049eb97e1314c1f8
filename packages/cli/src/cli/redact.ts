/**
 * Last line of defence for secrets in CLI output: the library never puts a secret into a message,
 * but a third-party error (an identity provider's text, an echoed request) might. Every line the
 * CLI writes passes through `redact` with the secrets it knows about.
 */

const MIN_SECRET_LENGTH = 4;

export class SecretRedactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret && secret.length >= MIN_SECRET_LENGTH) this.secrets.add(secret);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join("[redacted]");
    // Bearer tokens and client_secret form fields, whatever their value.
    result = result.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/g, "$1[redacted]");
    result = result.replace(/(client_secret=)[^&\s"']+/gi, "$1[redacted]");
    // A password inside a URL (`postgres://user:password@host/db`), whichever URL carries it.
    result = result.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#@]+@/gi, "$1[redacted]@");
    return result;
  }

  /** Remembers the password of a URL (as written and percent-decoded), e.g. a `--cache-url`. */
  addUrlPassword(url: string | undefined): void {
    if (!url || !URL.canParse(url)) return;
    const { password } = new URL(url);
    if (!password) return;
    this.add(password);
    try {
      this.add(decodeURIComponent(password));
    } catch {
      // Not valid percent-encoding: the password as written is already remembered.
    }
  }
}

/** `postgres://user:secret@host/db` → `postgres://user:[redacted]@host/db`; other text unchanged. */
export function redactUrl(url: string): string {
  return new SecretRedactor().redact(url);
}

/** A stream wrapper that redacts everything written through it. */
export function redactingStream(
  target: NodeJS.WritableStream,
  redactor: SecretRedactor,
): NodeJS.WritableStream {
  const wrapper = Object.create(target) as NodeJS.WritableStream;
  wrapper.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return (target.write as (...args: unknown[]) => boolean).call(target, redactor.redact(text), ...rest);
  }) as NodeJS.WritableStream["write"];
  return wrapper;
}
