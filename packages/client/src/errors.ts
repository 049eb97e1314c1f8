/** The errors of the library: see src/errors/ (classes, the code registry, secret scrubbing). */
export * from "./errors/index.js";
