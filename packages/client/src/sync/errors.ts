/** The sync's own outcomes live with every other error code in src/errors/ (the registry). */
export { EnvironmentChangedError, SyncLeaseLostError } from "../errors/sync.js";
