export { openPythonCache } from "./open.js";
