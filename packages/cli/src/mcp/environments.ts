/**
 * The environments the server answers for: the CLI's profiles (or the one the `D365FO_*`
 * variables select), each opened on first use as one data connection (its metadata cache
 * included) and closed with the server.
 */

import type { D365Connection, Logger } from "d365fo-client";
import { ConfigurationError } from "d365fo-client";
import { cacheConfigFor, type GlobalOptions } from "../cli/context.js";
import { ProfileError } from "../profiles/errors.js";
import { ProfileStore, resolveConfigDir } from "../profiles/profiles.js";
import { type ConnectionSettings, resolveConnectionSettings } from "../profiles/settings.js";

export interface OpenEnvironment {
  /** The profile name, or the base URL when no profile selected it. */
  name: string;
  settings: ConnectionSettings;
  connection: D365Connection;
}

export class EnvironmentPool {
  private readonly opened = new Map<string, Promise<OpenEnvironment>>();
  private readonly profiles: ProfileStore;

  constructor(
    private readonly globals: GlobalOptions,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {
    this.profiles = new ProfileStore(resolveConfigDir(env));
  }

  /** Profile names (for completion and resource listing). */
  names(): string[] {
    const names = Object.keys(this.profiles.load().profiles).sort();
    return names.length > 0 ? names : [this.defaultName()];
  }

  /** The environment the server was started for (its `--profile`, else the default profile). */
  defaultName(): string {
    const settings = resolveConnectionSettings(this.profiles.load(), this.globals, this.env);
    return settings.profileName ?? settings.baseUrl;
  }

  settingsFor(name: string | undefined): ConnectionSettings {
    const file = this.profiles.load();
    const selected = name ?? this.defaultName();
    if (file.profiles[selected] || !(selected in file.profiles)) {
      if (file.profiles[selected]) {
        return resolveConnectionSettings(
          file,
          { profile: selected, cacheDir: this.globals.cacheDir, cacheUrl: this.globals.cacheUrl },
          this.env,
        );
      }
    }
    const fallback = resolveConnectionSettings(file, this.globals, this.env);
    if ((fallback.profileName ?? fallback.baseUrl) === selected) return fallback;
    throw new ProfileError(
      `Unknown environment ${JSON.stringify(selected)}; known: ${this.names().join(", ")}`,
    );
  }

  open(name?: string): Promise<OpenEnvironment> {
    const settings = this.settingsFor(name);
    const key = settings.profileName ?? settings.baseUrl;
    let entry = this.opened.get(key);
    if (!entry) {
      entry = this.connect(key, settings);
      this.opened.set(key, entry);
      entry.catch(() => this.opened.delete(key));
    }
    return entry;
  }

  private async connect(name: string, settings: ConnectionSettings): Promise<OpenEnvironment> {
    if (settings.missingSecretEnv) {
      throw new ConfigurationError(
        `Profile ${name} reads its client secret from $${settings.missingSecretEnv}, which is not set`,
      );
    }
    const { connect } = await import("d365fo-client");
    const connection = await connect({
      ...cacheConfigFor(settings, this.globals, this.logger),
      validate: true,
    });
    return { name, settings, connection };
  }

  async close(): Promise<void> {
    const entries = [...this.opened.values()];
    this.opened.clear();
    for (const entry of entries) {
      try {
        await (await entry).connection.close();
      } catch (error) {
        this.logger.debug({ err: error }, "closing an environment failed");
      }
    }
  }
}
